import type { MessageView } from '../protocol/index.js';
import { HubError } from './hub-error.js';
import { cancel, later, uuid } from './runtime.js';
import type { ConnectionStatus, OutgoingMessage, PendingSend } from './types.js';

/** What the outbox needs from the client. */
export interface OutboxTransport {
  readonly status: ConnectionStatus;
  call<T>(op: string, data: unknown): Promise<T>;
}

interface Item {
  id: string;
  conversationId: string;
  data: Record<string, unknown>;
  attempts: number;
  inFlight: boolean;
  createdAt: string;
  promise: Promise<MessageView>;
  resolve: (m: MessageView) => void;
  reject: (e: unknown) => void;
}

/** Delay before retrying a send that failed while the connection stayed open (e.g. a timeout). */
const RETRY_OPEN_MS = 2_000;

/**
 * Sends that survive disconnects: each message gets its id once (UUID v4) and
 * is sent again with the same id after every reconnect until the hub answers.
 * The hub stores a message once per id (DESIGN invariant 2), so a retry of a
 * send that did reach the hub returns the stored message instead of a copy.
 * A refusal (validation, permission, membership) settles the send for good.
 * Sends are held in memory only: an app that must survive a restart persists
 * {@link pending} itself.
 */
export class Outbox {
  private readonly items = new Map<string, Item>();
  private retryTimer: unknown = null;

  constructor(
    private readonly transport: OutboxTransport,
    private readonly op = 'message.send',
  ) {}

  /** Queues a message; resolves with the stored message once the hub has committed it. */
  send(conversationId: string, message: OutgoingMessage): Promise<MessageView> {
    const id = message.id ?? uuid();
    const existing = this.items.get(id);
    if (existing) return existing.promise;
    let resolve!: (m: MessageView) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<MessageView>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const data: Record<string, unknown> = { conversationId, id, text: message.text };
    if (message.priority !== undefined) data.priority = message.priority;
    if (message.kind !== undefined) data.kind = message.kind;
    if (message.replyTo !== undefined) data.replyTo = message.replyTo;
    if (message.attachmentIds?.length) data.attachmentIds = message.attachmentIds;
    if (message.forward !== undefined) data.forward = message.forward;
    const item: Item = {
      id,
      conversationId,
      data,
      attempts: 0,
      inFlight: false,
      createdAt: new Date().toISOString(),
      promise,
      resolve,
      reject,
    };
    this.items.set(id, item);
    this.attempt(item);
    return promise;
  }

  /** Sends the hub has not acknowledged, oldest first. */
  pending(): PendingSend[] {
    return [...this.items.values()].map((i) => ({
      id: i.id,
      conversationId: i.conversationId,
      text: i.data.text as string,
      attempts: i.attempts,
      createdAt: i.createdAt,
    }));
  }

  /** Tries every waiting send again (the client calls it after each successful auth). */
  flush(): void {
    cancel(this.retryTimer);
    this.retryTimer = null;
    for (const item of this.items.values()) this.attempt(item);
  }

  /** Stops the retry timer (the sends stay queued for the next connection). */
  pause(): void {
    cancel(this.retryTimer);
    this.retryTimer = null;
  }

  private attempt(item: Item): void {
    if (item.inFlight || this.transport.status !== 'open') return;
    item.inFlight = true;
    item.attempts += 1;
    this.transport.call<MessageView>(this.op, item.data).then(
      (stored) => {
        this.items.delete(item.id);
        item.resolve(stored);
      },
      (err: unknown) => {
        item.inFlight = false;
        if (retryable(err)) {
          if (this.transport.status === 'open' && this.retryTimer === null) {
            this.retryTimer = later(() => {
              this.retryTimer = null;
              this.flush();
            }, RETRY_OPEN_MS);
          }
          return;
        }
        this.items.delete(item.id);
        item.reject(err);
      },
    );
  }
}

/** Transport failures, hub-side 5xx and an ended session keep a send; refusals drop it. */
function retryable(err: unknown): boolean {
  if (!(err instanceof HubError)) return true;
  return (
    err.transient || err.code === 'auth.session_expired' || err.code === 'auth.unauthenticated'
  );
}
