import { CLOSE_CODES } from '../domain/index.js';
import type {
  AuthResult,
  DeviceInfo,
  EventFrame,
  LoginResponse,
  MessageView,
} from '../protocol/index.js';
import { PendingCalls } from './calls.js';
import { Emitter } from './emitter.js';
import { HubError } from './hub-error.js';
import { Outbox } from './outbox.js';
import { restRequest } from './rest.js';
import { cancel, globalFetch, later } from './runtime.js';
import type {
  ClientEventMap,
  ConnectionStatus,
  FetchLike,
  HubClientOptions,
  HubEventMap,
  OutgoingMessage,
  PendingSend,
  WebSocketLike,
} from './types.js';

/**
 * The hub's client SDK: REST with the session token, one realtime socket with
 * auth, resume and reconnect, typed events with dedupe by `seq`, and an outbox
 * for sends. Runs in Node (pass `ws`'s WebSocket) and in browsers.
 *
 * @example
 * const hub = new HubClient({ baseUrl: 'http://127.0.0.1:8080', WebSocket });
 * await hub.login('ivanov', 'secret');
 * await hub.connect();
 * hub.on('message.created', (m) => show(m));
 * await hub.send(conversationId, { text: 'Прошу консультацию' });
 */
export class HubClient {
  /** Sends that survive reconnects (also reachable as {@link send} / {@link pending}). */
  readonly outbox: Outbox;
  private readonly fetchImpl: FetchLike;
  private readonly emitter = new Emitter();
  private readonly calls: PendingCalls;
  private readonly base: string;
  private readonly minMs: number;
  private readonly maxMs: number;
  private tokenValue: string | null = null;
  private ws: WebSocketLike | null = null;
  private statusValue: ConnectionStatus = 'closed';
  private seq: number | undefined;
  private wanted = false;
  private attempts = 0;
  private reconnectTimer: unknown = null;
  private nextId = 0;
  private authId: string | null = null;
  private authError: HubError | null = null;
  private auth: AuthResult | null = null;
  private waiters: { resolve: (r: AuthResult) => void; reject: (e: HubError) => void }[] = [];

  constructor(private readonly options: HubClientOptions & { sendOp?: string }) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? globalFetch();
    this.minMs = options.reconnect?.minMs ?? 500;
    this.maxMs = Math.max(this.minMs, options.reconnect?.maxMs ?? 30_000);
    this.calls = new PendingCalls(options.callTimeoutMs ?? 15_000);
    this.outbox = new Outbox(this, options.sendOp);
  }

  /** The session token in use, if any. */
  get token(): string | null {
    return this.tokenValue;
  }

  /** Uses a token obtained earlier (e.g. from the OS keychain). */
  useToken(token: string | null): void {
    this.tokenValue = token;
  }

  /** The highest event `seq` seen; persist it to resume after an app restart. */
  get lastSeq(): number | undefined {
    return this.seq;
  }

  set lastSeq(value: number | undefined) {
    this.seq = value;
  }

  get status(): ConnectionStatus {
    return this.statusValue;
  }

  /** The last successful auth's answer (null before the first). */
  get session(): AuthResult | null {
    return this.auth;
  }

  /** `POST /api/v1/auth/login`; keeps the token for later calls and the socket. */
  async login(login: string, password: string, device?: DeviceInfo): Promise<LoginResponse> {
    const body = { login, password, ...(device ? { device } : {}) };
    const res = await this.request<LoginResponse>('POST', '/api/v1/auth/login', body);
    this.tokenValue = res.token;
    return res;
  }

  /** Ends the session on the hub and closes the socket. */
  async logout(): Promise<void> {
    try {
      await this.request('POST', '/api/v1/auth/logout');
    } finally {
      this.close();
      this.tokenValue = null;
    }
  }

  /** A REST call with the bearer token; throws {@link HubError} on a 4xx/5xx or a network failure. */
  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    return restRequest<T>(this.fetchImpl, this.base + path, this.tokenValue, method, body);
  }

  /**
   * Opens the realtime socket and authenticates, resuming from {@link lastSeq}.
   * Resolves with the first successful auth; transport failures are retried
   * with backoff meanwhile. Rejects if the hub refuses the session or
   * {@link close} is called first.
   */
  connect(): Promise<AuthResult> {
    if (!this.tokenValue) {
      return Promise.reject(new HubError('auth.unauthenticated', 'Sign in first'));
    }
    this.wanted = true;
    if (this.statusValue === 'open' && this.auth) return Promise.resolve(this.auth);
    const promise = new Promise<AuthResult>((resolve, reject) =>
      this.waiters.push({ resolve, reject }),
    );
    if (!this.ws) {
      cancel(this.reconnectTimer);
      this.open();
    }
    return promise;
  }

  /** Closes the socket; no reconnect follows. Queued sends stay in the outbox. */
  close(): void {
    this.wanted = false;
    cancel(this.reconnectTimer);
    this.reconnectTimer = null;
    this.outbox.pause();
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, 'client closed');
    this.settleDisconnect(new HubError('client.closed', 'The client was closed'));
  }

  /** Runs an op; resolves with the reply's `data`, rejects with {@link HubError}. */
  call<T = unknown>(op: string, data?: unknown): Promise<T> {
    const ws = this.ws;
    if (this.statusValue !== 'open' || !ws) {
      return Promise.reject(new HubError('client.not_connected', 'Not connected'));
    }
    const id = this.newId();
    const reply = this.calls.track(id) as Promise<T>;
    ws.send(JSON.stringify(data === undefined ? { id, op } : { id, op, data }));
    return reply;
  }

  /** Sends a message through the outbox (same id on every retry). */
  send(conversationId: string, message: OutgoingMessage): Promise<MessageView> {
    return this.outbox.send(conversationId, message);
  }

  /** Sends not yet acknowledged by the hub. */
  pending(): PendingSend[] {
    return this.outbox.pending();
  }

  on<K extends keyof ClientEventMap>(
    event: K,
    listener: (v: ClientEventMap[K]) => void,
  ): () => void;
  on<K extends keyof HubEventMap>(
    event: K,
    listener: (data: HubEventMap[K], frame: EventFrame<HubEventMap[K]>) => void,
  ): () => void;
  on(event: string, listener: (...args: never[]) => void): () => void {
    return this.emitter.on(event, listener);
  }

  off(event: string, listener: (...args: never[]) => void): void {
    this.emitter.off(event, listener);
  }

  private newId(): string {
    this.nextId += 1;
    return `c${this.nextId}`;
  }

  private get wsUrl(): string {
    return `${this.base.replace(/^http/, 'ws')}/api/v1/ws`;
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.statusValue === status) return;
    this.statusValue = status;
    this.emitter.emit('connection', status);
  }

  private open(): void {
    this.reconnectTimer = null;
    this.authError = null;
    this.setStatus('connecting');
    const ws = new this.options.WebSocket(this.wsUrl);
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws || !this.tokenValue) return;
      this.authId = this.newId();
      const frame = { id: this.authId, op: 'auth', token: this.tokenValue };
      ws.send(JSON.stringify(this.seq === undefined ? frame : { ...frame, resumeFrom: this.seq }));
    };
    ws.onmessage = (event) => {
      if (this.ws === ws) this.onFrame(event.data);
    };
    ws.onclose = (event) => {
      if (this.ws === ws) this.onClose(event.code, event.reason);
    };
    ws.onerror = () => undefined; // onclose follows and decides
  }

  private onFrame(data: unknown): void {
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(typeof data === 'string' ? data : String(data)) as Record<string, unknown>;
    } catch {
      return;
    }
    if ('re' in frame) return this.onReply(frame);
    const { seq, event } = frame;
    if (typeof seq !== 'number' || typeof event !== 'string') return;
    if (this.seq !== undefined && seq <= this.seq) return; // already seen
    this.seq = seq;
    this.emitter.emit('*', frame);
    this.emitter.emit(event, frame.data, frame);
  }

  private onReply(frame: Record<string, unknown>): void {
    const re = frame.re;
    if (typeof re !== 'string') return;
    if (re === this.authId) {
      this.authId = null;
      if (frame.ok === true) this.onAuthed(frame.data as AuthResult);
      else this.authError = HubError.from(frame.error);
      return;
    }
    this.calls.settle(re, frame);
  }

  private onAuthed(result: AuthResult): void {
    this.auth = result;
    this.attempts = 0;
    // A first connection starts at the head, so the next reconnect resumes from there.
    if (this.seq === undefined) this.seq = result.head;
    this.setStatus('open');
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve(result);
    this.outbox.flush();
  }

  private onClose(code: number, reason: string): void {
    this.ws = null;
    this.authId = null;
    this.outbox.pause();
    if (code === CLOSE_CODES.authFailed || code === CLOSE_CODES.sessionEnded) {
      this.wanted = false;
      const err = this.authError ?? new HubError('auth.session_expired', 'The session has ended');
      this.settleDisconnect(err);
      this.emitter.emit('session-ended', { code, reason });
      return;
    }
    this.calls.rejectAll(new HubError('client.disconnected', `Connection closed (${code})`));
    this.setStatus('closed');
    if (this.wanted) this.scheduleReconnect();
  }

  /** Rejects every open call and connect() waiter; status closed. */
  private settleDisconnect(err: HubError): void {
    this.calls.rejectAll(new HubError('client.disconnected', 'Connection closed'));
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(err);
    this.setStatus('closed');
  }

  private scheduleReconnect(): void {
    const base = Math.min(this.maxMs, this.minMs * 2 ** this.attempts);
    this.attempts = Math.min(this.attempts + 1, 30);
    const delay = base / 2 + Math.random() * (base / 2); // jitter: many clients do not return in step
    this.reconnectTimer = later(() => {
      if (this.wanted && !this.ws) this.open();
    }, delay);
  }
}
