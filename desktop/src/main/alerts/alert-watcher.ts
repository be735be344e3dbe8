/**
 * The main process's own hub connection (ADR 0010): it watches for urgent and
 * critical messages addressed to this user and keeps them on the
 * {@link AlertBoard} until acknowledged, so alerts work while the window is
 * hidden, minimized to the tray or the renderer is reloading. The renderer has
 * its own connection for the UI; both use the same session token.
 */
import {
  AlertView,
  CLOSE_CODES,
  HubClient,
  type MessageView,
  type WebSocketConstructor,
} from '@konsilium/shared';
import { asksMe } from '../../common/alert-rules.js';
import { PushGate, type PushDecision } from '../../common/push-gate.js';
import type { AlertBoard } from './alert-board.js';

export interface AlertWatcherOptions {
  /** The hub URL now (read at each start). */
  hubUrl: () => string;
  WebSocket: WebSocketConstructor;
  board: AlertBoard;
  /** Whether notifications may carry patient data (then the conversation's patient label is fetched). */
  showPatientData: () => boolean;
  /** The hub ended or refused the session (logout elsewhere, remote revocation, expiry). */
  onSessionEnded: (code: number) => void;
  log: {
    info(f: Record<string, unknown>, m: string): void;
    warn(f: Record<string, unknown>, m: string): void;
  };
  /** Reconnect backoff (tests shorten it). */
  reconnect?: { minMs?: number; maxMs?: number };
}

const ALERT_PRIORITIES = new Set(['urgent', 'critical']);

export class AlertWatcher {
  private client: HubClient | null = null;
  private me: string | null = null;
  private readonly labels = new Map<string, string | null>();
  /** Notify for new messages, or (hub with a notification policy) only for `notify.push`. */
  readonly gate = new PushGate<MessageView>();

  constructor(private readonly options: AlertWatcherOptions) {}

  get connected(): boolean {
    return this.client?.status === 'open';
  }

  /** Connects with the session token; resolves once authenticated (rejects if the hub refuses it). */
  async start(token: string): Promise<void> {
    this.stop();
    const client = new HubClient({
      baseUrl: new URL(this.options.hubUrl()).origin,
      WebSocket: this.options.WebSocket,
      ...(this.options.reconnect ? { reconnect: this.options.reconnect } : {}),
    });
    this.client = client;
    client.useToken(token);
    client.on('message.created', (m) => void this.onMessage(m, true));
    client.on('message.updated', (m) => void this.onMessage(m, false));
    client.on('alert.updated' as 'message.created', (a: unknown) => void this.onAlert(a));
    client.on('notify.push' as 'message.created', (p: unknown) => {
      const decision = this.gate.onPush(p);
      if (decision) void this.raise(decision);
    });
    client.on('conversation.created', (c) => this.labels.set(c.id, c.patient?.label ?? null));
    client.on('conversation.updated', (c) => this.labels.set(c.id, c.patient?.label ?? null));
    client.on('session-ended', ({ code }) => {
      this.options.log.info({ code }, 'hub ended the session');
      this.options.board.clear();
      this.stop();
      this.options.onSessionEnded(code);
    });
    client.on('connection', (status) => this.options.log.info({ status }, 'alert connection'));
    try {
      const auth = await client.connect();
      this.me = auth.userId;
    } catch (err) {
      if (this.client === client) this.stop();
      throw err;
    }
    await this.detectPolicy(client);
  }

  /** A hub that answers `GET /api/v1/me/notifications` decides pushes itself (`notify.push`). */
  private async detectPolicy(client: HubClient): Promise<void> {
    try {
      await client.request('GET', '/api/v1/me/notifications');
      this.gate.mode = 'push';
    } catch (err) {
      // Older hub (404) or not reachable: the client's own rules, so no alert is lost.
      this.gate.mode = 'messages';
      this.options.log.info({ code: (err as { code?: string }).code }, 'no notification policy');
    }
    this.options.log.info({ mode: this.gate.mode }, 'alert source');
  }

  /** Closes the connection (sign-out, hub URL change, quit). Open alerts stay until cleared. */
  stop(): void {
    this.gate.reset();
    this.client?.close();
    this.client = null;
    this.me = null;
  }

  private async onMessage(m: MessageView, created: boolean): Promise<void> {
    const board = this.options.board;
    const me = this.client?.session?.userId ?? this.me;
    const mine = me !== null && m.authorId === me;
    const resolved =
      m.recalledAt !== null || m.firstAcceptor !== null || m.acks.some((a) => a.userId === me);
    if (board.has(m.id)) {
      if (resolved) board.resolve(m.id);
      return;
    }
    if (mine || resolved || (m as { system?: unknown }).system) return;
    if (this.gate.mode === 'push') {
      if (created) this.gate.onMessage(m);
      return;
    }
    if (!ALERT_PRIORITIES.has(m.priority)) return;
    await this.raise({ message: m, push: null });
  }

  /**
   * An escalation (`alert.updated`): while it is open and asks this user (now or
   * earlier, not declined; `asksMe`) — also someone it escalated to after the
   * message was sent — it is on the board
   * (keyed by its message, so the message's own alert is not doubled); settled
   * or passed on, it leaves. Critical alerts always break through the policy.
   */
  private async onAlert(data: unknown): Promise<void> {
    const parsed = AlertView.safeParse(data);
    if (!parsed.success) return;
    const a = parsed.data;
    const me = this.client?.session?.userId ?? this.me;
    const board = this.options.board;
    const asked = me !== null && asksMe(a, me);
    if (!asked) {
      if (board.has(a.messageId)) board.resolve(a.messageId);
      return;
    }
    if (board.has(a.messageId)) return;
    const patientLabel = this.options.showPatientData()
      ? await this.patientLabel(a.conversationId)
      : undefined;
    board.raise({
      id: a.messageId,
      conversationId: a.conversationId,
      priority: a.priority,
      needsAck: true,
      ...(patientLabel ? { patientLabel } : {}),
      push: { sound: true, repeatUntilAck: a.priority === 'critical' },
    });
  }

  private async raise(d: PushDecision<MessageView>): Promise<void> {
    const m = d.message;
    const id = m?.id ?? d.push?.messageId;
    const conversationId = m?.conversationId ?? d.push?.conversationId;
    const priority = m?.priority ?? d.push?.priority;
    if (!id || !conversationId || !priority) return;
    // Acknowledged while the push was on its way (or before this client saw it).
    const me = this.client?.session?.userId ?? this.me;
    if (m && (m.firstAcceptor !== null || m.acks.some((a) => a.userId === me))) return;
    const patientLabel = this.options.showPatientData()
      ? await this.patientLabel(conversationId)
      : undefined;
    this.options.board.raise({
      id,
      conversationId,
      priority,
      needsAck: m
        ? m.kind === 'order' || ALERT_PRIORITIES.has(m.priority)
        : ALERT_PRIORITIES.has(priority),
      ...(m ? { text: m.text } : {}),
      ...(patientLabel ? { patientLabel } : {}),
      ...(d.push ? { push: { sound: d.push.sound, repeatUntilAck: d.push.repeatUntilAck } } : {}),
    });
  }

  private async patientLabel(conversationId: string): Promise<string | undefined> {
    if (!this.labels.has(conversationId) && this.client) {
      try {
        // No single-conversation route: the list is small and fills the cache for later alerts.
        const list = await this.client.request<{
          items: { id: string; patient?: { label?: string | null } | null }[];
        }>('GET', '/api/v1/conversations');
        for (const c of list.items) this.labels.set(c.id, c.patient?.label ?? null);
      } catch (err) {
        this.options.log.warn(
          { code: (err as { code?: string }).code },
          'conversation lookup failed',
        );
        return undefined;
      }
    }
    return this.labels.get(conversationId) ?? undefined;
  }
}

/** Close codes after which the local session data must be wiped. */
export const SESSION_END_CODES: readonly number[] = [
  CLOSE_CODES.authFailed,
  CLOSE_CODES.sessionEnded,
];
