import type { ConversationView, EventFrame, MessageView } from '../protocol/index.js';

/**
 * The part of a WebSocket the SDK uses: the browser's `WebSocket` and the `ws`
 * package's both fit. Handlers are assigned (`onmessage = …`), never called by
 * the SDK, so their parameter types are checked loosely.
 */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

// Method syntax makes the parameter bivariant, so `(e: ws.MessageEvent) => void` fits.
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** A WebSocket constructor: `WebSocket` from `ws` in Node, `globalThis.WebSocket` in a browser. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** The part of a `fetch` response the SDK reads. */
export interface ResponseLike {
  readonly status: number;
  text(): Promise<string>;
}

/** A `fetch` implementation (Node 20's global `fetch` and the browser's both fit). */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<ResponseLike>;

/** Options of {@link HubClient}. */
export interface HubClientOptions {
  /** The hub's base URL, `http(s)://host:port` (no trailing path). */
  baseUrl: string;
  WebSocket: WebSocketConstructor;
  /** Default: the global `fetch`. */
  fetch?: FetchLike;
  /** Reconnect delays after an unexpected close: exponential from `minMs` to `maxMs`, with jitter. Defaults 500 ms and 30 s. */
  reconnect?: { minMs?: number; maxMs?: number };
  /** How long `call` waits for a reply. Default 15 s. */
  callTimeoutMs?: number;
}

/** The realtime connection's state, as the `connection` event reports it. */
export type ConnectionStatus = 'connecting' | 'open' | 'closed';

/**
 * Hub events by name → their `data`. Known events are typed here; any other
 * `<domain>.<verb>` name is accepted with `unknown` data.
 */
export interface HubEventMap {
  'message.created': MessageView;
  /** Edit, recall, acknowledgement or reaction: the message's new state. */
  'message.updated': MessageView;
  /** A member's delivered/read watermark moved (MSG-2). */
  'message.receipt': ReceiptEvent;
  'conversation.created': ConversationView;
  /** Members joined, left or were removed. */
  'conversation.updated': ConversationView;
  [event: `${string}.${string}`]: unknown;
}

/** `message.receipt`: everything up to `readSeq` is read by `userId` (read implies delivered). */
export interface ReceiptEvent {
  conversationId: string;
  userId: string;
  deliveredSeq: number;
  deliveredAt: string | null;
  readSeq: number;
  readAt: string | null;
}

/** Events the client itself emits (names without a dot, so they never clash with hub events). */
export interface ClientEventMap {
  /** The realtime connection's status changed. */
  connection: ConnectionStatus;
  /** The hub refused or ended the session (4001, 4003): sign in again. No reconnect follows. */
  'session-ended': { code: number; reason: string };
  /** Every hub event, after dedupe. */
  '*': EventFrame;
  /** A listener threw; the client carried on. */
  error: unknown;
}

/** A message as the outbox takes it; `id` defaults to a new UUID. */
export interface OutgoingMessage {
  id?: string;
  text: string;
  priority?: MessageView['priority'];
  kind?: MessageView['kind'];
  replyTo?: string;
  /** Uploads to attach (`POST /api/v1/conversations/:id/attachments`). */
  attachmentIds?: string[];
  /** Forward another message (MSG-7); its author, time and source are kept. */
  forward?: { messageId: string };
}

/** A send the hub has not acknowledged yet. */
export interface PendingSend {
  id: string;
  conversationId: string;
  text: string;
  attempts: number;
  createdAt: string;
}
