/**
 * FHIRcast (STU3) subscriber over the WebSocket channel.
 *
 * Lifecycle: POST a form-encoded subscription to the hub → the hub answers
 * 202 with `hub.channel.endpoint` (older hubs: the endpoint as the body) →
 * open that WebSocket → the hub confirms (`hub.mode: subscribe`, granted
 * lease) or denies → read the current context (`GET {hub}/{topic}`) when the
 * hub offers it → follow events, acknowledging each with `{id, status}`.
 * Before the lease ends the subscription is renewed on the same endpoint; a
 * dropped socket, a failed subscription or a denial marks the context `lost`
 * and retries with capped exponential backoff and jitter.
 *
 * Events are applied in timestamp order (one older than the last applied is
 * dropped), duplicates are dropped by id. Anything malformed is logged with a
 * machine reason (never patient data) and ignored. Nothing here throws into
 * the caller.
 */
import { WebSocket, type RawData } from 'ws';
import type { PatientContextUpdate } from '../common/patient-context.js';
import { buildContext, realScheduler, type ContextLog, type Scheduler } from './common.js';
import { nextState } from './fhircast-events.js';
import {
  MAX_FRAME_BYTES,
  channelEndpoint,
  contextEntries,
  currentContextSchema,
  eventFrameSchema,
  eventKind,
  modeFrameSchema,
  parseTimestamp,
  patientFromContext,
  type EventFrame,
  type ModeFrame,
} from './fhircast-frames.js';

export const DEFAULT_FHIRCAST_EVENTS = [
  'Patient-open',
  'Patient-close',
  'Encounter-open',
  'Encounter-close',
] as const;
/** Lease asked for when none is configured (seconds). */
export const DEFAULT_LEASE_SECONDS = 3600;
/** Renew when this share of the granted lease has passed. */
export const RENEW_AT = 0.8;
/** Wait this long for the hub's confirmation frame before going on without it (ms). */
export const CONFIRM_WAIT_MS = 5000;
/** How many recent event ids are remembered for duplicate detection. */
export const SEEN_IDS = 512;
const HTTP_TIMEOUT_MS = 10_000;
/** Unsubscribing at quit is a courtesy: never hold the quit longer than this. */
const UNSUBSCRIBE_TIMEOUT_MS = 2000;
const MAX_BODY_CHARS = 1024 * 1024;

export interface FhircastOptions {
  /** The hub's base URL (`hub.url`), http(s). */
  hubUrl: string;
  /** The session topic the MIS shares with its subscribers. */
  topic: string;
  /** Events to subscribe to; default {@link DEFAULT_FHIRCAST_EVENTS}. */
  events?: string[] | undefined;
  /** Lease to ask for, seconds; default {@link DEFAULT_LEASE_SECONDS}. */
  leaseSeconds?: number | undefined;
  /** Preferred identifier system for the patient. */
  identifierSystem?: string | undefined;
  /** System given to `Patient.id` when the patient has no usable identifier. */
  resourceIdSystem?: string | undefined;
  /** Bearer token for hubs that require one. */
  accessToken?: string | undefined;
  /** Backoff after a failure: first delay and ceiling, ms (defaults 1 s and 60 s). */
  backoff?: { initialMs: number; maxMs: number } | undefined;
  log: ContextLog;
  onUpdate: (u: PatientContextUpdate) => void;
  scheduler?: Scheduler | undefined;
  now?: (() => Date) | undefined;
  random?: (() => number) | undefined;
}

type Timer = 'renew' | 'retry' | 'confirm';

export class FhircastAdapter {
  private readonly scheduler: Scheduler;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly events: string[];
  private readonly lease: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private state: PatientContextUpdate = { state: 'none', context: null };
  private running = false;
  private socket: WebSocket | null = null;
  private endpoint: string | null = null;
  private confirmed = false;
  private synced = false;
  private contextReadSupported = true;
  private failures = 0;
  /** Lease the hub granted in its last confirmation (seconds). */
  private granted: number;
  private lastAppliedTs: number | null = null;
  private applied = 0;
  private readonly seen = new Set<string>();
  private readonly timers = new Map<Timer, unknown>();
  private readonly aborts = new Set<AbortController>();
  private busy: Promise<void> = Promise.resolve();

  constructor(private readonly opts: FhircastOptions) {
    this.scheduler = opts.scheduler ?? realScheduler;
    this.now = opts.now ?? (() => new Date());
    this.random = opts.random ?? Math.random;
    this.events =
      opts.events && opts.events.length > 0 ? opts.events : [...DEFAULT_FHIRCAST_EVENTS];
    this.lease = opts.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
    this.granted = this.lease;
    this.backoff = opts.backoff ?? { initialMs: 1000, maxMs: 60_000 };
  }

  current(): PatientContextUpdate {
    return this.state;
  }

  /** Starts subscribing; resolves after the first attempt, whatever its outcome. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.serial(() => this.subscribe(false));
  }

  /** Unsubscribes (best effort), closes the channel and cancels every timer. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of this.timers.values()) this.scheduler.clearTimeout(t);
    this.timers.clear();
    for (const a of this.aborts) a.abort();
    await this.busy.catch(() => undefined);
    const endpoint = this.endpoint;
    const socket = this.socket;
    this.socket = null;
    this.endpoint = null;
    if (endpoint) await this.post('unsubscribe', endpoint).catch(() => undefined);
    if (socket) await closeSocket(socket);
  }

  // --- subscription ------------------------------------------------------

  /** Runs one subscription step at a time (a renewal never races a reconnect). */
  private serial(step: () => Promise<void>): Promise<void> {
    const next = this.busy.then(step, step).catch((err: unknown) => {
      this.opts.log.warn(
        { reason: 'fhircast.internal', err: errorName(err) },
        'fhircast step failed',
      );
    });
    this.busy = next;
    return next;
  }

  private async subscribe(renewal: boolean): Promise<void> {
    if (!this.running) return;
    let endpoint: string;
    try {
      endpoint = await this.post('subscribe', renewal ? this.endpoint : null);
    } catch (err) {
      if (!this.running) return;
      const reason = err instanceof SubscribeError ? err.reason : 'fhircast.unreachable';
      this.opts.log.warn({ reason, renewal }, 'fhircast subscription failed');
      if (renewal && this.socket) this.arm('renew', this.nextBackoff(), () => this.renew());
      else this.fail(reason);
      return;
    }
    if (!this.running) return;
    if (renewal && endpoint === this.endpoint && this.socket?.readyState === WebSocket.OPEN) {
      this.failures = 0;
      this.arm('renew', this.renewDelay(), () => this.renew());
      return;
    }
    this.openChannel(endpoint);
  }

  private renew(): void {
    void this.serial(() => this.subscribe(true));
  }

  private async post(mode: 'subscribe' | 'unsubscribe', endpoint: string | null): Promise<string> {
    const form = new URLSearchParams({
      'hub.channel.type': 'websocket',
      'hub.mode': mode,
      'hub.topic': this.opts.topic,
      'hub.events': this.events.join(','),
    });
    if (mode === 'subscribe') form.set('hub.lease_seconds', String(this.lease));
    if (endpoint) form.set('hub.channel.endpoint', endpoint);
    form.set('subscriber.name', 'Konsilium');
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (this.opts.accessToken) headers.authorization = `Bearer ${this.opts.accessToken}`;
    const { status, body } = await this.http(
      this.opts.hubUrl,
      { method: 'POST', headers, body: form.toString() },
      mode === 'unsubscribe' ? UNSUBSCRIBE_TIMEOUT_MS : HTTP_TIMEOUT_MS,
    );
    if (status < 200 || status >= 300) throw new SubscribeError(`fhircast.subscribe_${status}`);
    if (mode === 'unsubscribe') return '';
    const channel = channelEndpoint(body, this.opts.hubUrl);
    if (!channel.ok) throw new SubscribeError(channel.reason);
    return channel.endpoint;
  }

  private async http(
    url: string,
    init: RequestInit,
    timeoutMs = HTTP_TIMEOUT_MS,
  ): Promise<{ status: number; body: string }> {
    const abort = new AbortController();
    this.aborts.add(abort);
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      const res = await fetch(url, { ...init, signal: abort.signal, redirect: 'error' });
      const body = await res.text();
      if (body.length > MAX_BODY_CHARS) throw new SubscribeError('fhircast.body_too_large');
      return { status: res.status, body };
    } finally {
      clearTimeout(timer);
      this.aborts.delete(abort);
    }
  }

  // --- channel -------------------------------------------------------------

  private openChannel(endpoint: string): void {
    const previous = this.socket;
    this.confirmed = false;
    this.endpoint = endpoint;
    const socket = new WebSocket(endpoint, {
      maxPayload: 4 * MAX_FRAME_BYTES,
      handshakeTimeout: HTTP_TIMEOUT_MS,
    });
    this.socket = socket;
    if (previous) void closeSocket(previous);
    socket.on('open', () => {
      if (socket !== this.socket) return;
      this.arm('confirm', CONFIRM_WAIT_MS, () => this.onConfirmed(this.lease));
    });
    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (socket === this.socket) this.onFrame(data, isBinary);
    });
    socket.on('error', (err) => {
      this.opts.log.warn(
        { reason: 'fhircast.socket_error', err: errorName(err) },
        'fhircast socket error',
      );
    });
    socket.on('close', (code: number) => {
      if (socket !== this.socket || !this.running) return;
      this.socket = null;
      this.opts.log.warn({ reason: 'fhircast.disconnected', code }, 'fhircast channel closed');
      this.fail('fhircast.disconnected');
    });
  }

  /** Marks the context lost and schedules a fresh subscription. */
  private fail(reason: string): void {
    this.clear('renew');
    this.clear('confirm');
    this.synced = false;
    this.confirmed = false;
    this.setState({ state: 'lost', context: this.state.context, reason });
    if (!this.running) return;
    this.arm('retry', this.nextBackoff(), () => {
      void this.serial(() => this.subscribe(false));
    });
  }

  private renewDelay(): number {
    return Math.max(1000, this.granted * 1000 * RENEW_AT);
  }

  private nextBackoff(): number {
    const base = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** this.failures);
    this.failures = Math.min(this.failures + 1, 30);
    return Math.round(base * (1 + 0.2 * this.random()));
  }

  private arm(name: Timer, ms: number, fn: () => void): void {
    this.clear(name);
    this.timers.set(
      name,
      this.scheduler.setTimeout(() => {
        this.timers.delete(name);
        if (this.running) fn();
      }, ms),
    );
  }

  private clear(name: Timer): void {
    const t = this.timers.get(name);
    if (t !== undefined) this.scheduler.clearTimeout(t);
    this.timers.delete(name);
  }

  // --- frames --------------------------------------------------------------

  private onFrame(data: RawData, isBinary: boolean): void {
    const buf = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(data);
    if (isBinary) return this.reject('fhircast.frame_binary');
    if (buf.length > MAX_FRAME_BYTES) return this.reject('fhircast.frame_too_large');
    let json: unknown;
    try {
      json = JSON.parse(buf.toString('utf8'));
    } catch {
      return this.reject('fhircast.frame_not_json');
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      return this.reject('fhircast.frame_shape');
    }
    if ('hub.mode' in json) {
      const mode = modeFrameSchema.safeParse(json);
      if (!mode.success) return this.reject('fhircast.frame_shape');
      return this.onMode(mode.data);
    }
    if ('event' in json) {
      const ev = eventFrameSchema.safeParse(json);
      if (!ev.success) {
        const id = (json as { id?: unknown }).id;
        if (typeof id === 'string' && id.length <= 256) this.ack(id, 400);
        return this.reject('fhircast.event_malformed');
      }
      return this.onEvent(ev.data);
    }
    this.reject('fhircast.frame_shape');
  }

  private reject(reason: string, extra: object = {}): void {
    this.opts.log.warn({ reason, ...extra }, 'fhircast frame ignored');
  }

  private onMode(frame: ModeFrame): void {
    const mode = frame['hub.mode'].toLowerCase();
    if (mode === 'denied') {
      const hubReason = (frame['hub.reason'] ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
      this.opts.log.warn({ reason: 'fhircast.denied', hubReason }, 'fhircast subscription denied');
      const socket = this.socket;
      this.socket = null;
      this.endpoint = null;
      if (socket) void closeSocket(socket);
      this.fail('fhircast.denied');
      return;
    }
    if (mode !== 'subscribe') return this.reject('fhircast.mode_ignored');
    const granted = Number(frame['hub.lease_seconds']);
    this.onConfirmed(Number.isFinite(granted) && granted > 0 ? granted : this.lease);
  }

  private onConfirmed(leaseSeconds: number): void {
    this.clear('confirm');
    this.failures = 0;
    this.granted = leaseSeconds;
    this.arm('renew', this.renewDelay(), () => this.renew());
    if (this.confirmed) return;
    this.confirmed = true;
    this.opts.log.info({ leaseSeconds }, 'fhircast subscription confirmed');
    void this.serial(() => this.resync());
  }

  /** Reads the current context when the hub offers it; otherwise waits for the next event. */
  private async resync(): Promise<void> {
    const appliedBefore = this.applied;
    if (this.contextReadSupported) {
      const base = this.opts.hubUrl.replace(/\/+$/, '');
      const headers: Record<string, string> = { accept: 'application/json' };
      if (this.opts.accessToken) headers.authorization = `Bearer ${this.opts.accessToken}`;
      try {
        const res = await this.http(`${base}/${encodeURIComponent(this.opts.topic)}`, { headers });
        if (res.status === 200) {
          if (this.applied !== appliedBefore || !this.running) return;
          this.applySnapshot(res.body);
        } else if ([404, 405, 501].includes(res.status)) {
          this.contextReadSupported = false;
          this.opts.log.info({ status: res.status }, 'fhircast hub offers no current-context read');
        } else {
          this.opts.log.warn(
            { reason: 'fhircast.context_read_failed', status: res.status },
            'fhircast context read failed',
          );
        }
      } catch (err) {
        this.opts.log.warn(
          { reason: 'fhircast.context_read_failed', err: errorName(err) },
          'fhircast context read failed',
        );
      }
    }
    if (this.applied !== appliedBefore || !this.running) return;
    if (this.state.state === 'lost')
      this.setState({ state: 'lost', context: this.state.context, reason: 'fhircast.unsynced' });
  }

  private applySnapshot(body: string): void {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return this.reject('fhircast.context_not_json');
    }
    const parsed = currentContextSchema.safeParse(json);
    if (!parsed.success) return this.reject('fhircast.context_shape');
    const entries = contextEntries(parsed.data);
    this.synced = true;
    const fields = patientFromContext(entries, this.opts);
    // No patient in the hub's context (empty, or only other resources): none is open.
    if ('reason' in fields && fields.reason === 'fhircast.no_patient') {
      return this.setState({ state: 'none', context: null });
    }
    if ('reason' in fields) return this.reject(fields.reason);
    const built = buildContext('fhircast', fields, 'fhircast', this.now());
    if (!built.ok) return this.reject(built.reason);
    this.setState({ state: 'active', context: built.context });
  }

  private onEvent(frame: EventFrame): void {
    const { id } = frame;
    const topic = frame.event['hub.topic'];
    if (topic !== undefined && topic.toLowerCase() !== this.opts.topic.toLowerCase()) {
      this.ack(id, 200);
      return this.reject('fhircast.topic_mismatch');
    }
    if (this.seen.has(id)) {
      this.ack(id, 200);
      return this.opts.log.info(
        { reason: 'fhircast.duplicate' },
        'fhircast duplicate event dropped',
      );
    }
    this.remember(id);
    const ts = parseTimestamp(frame.timestamp);
    if (ts === null) {
      this.ack(id, 400);
      return this.reject('fhircast.bad_timestamp');
    }
    const kind = eventKind(frame.event['hub.event']);
    this.ack(id, 200);
    if (kind === null)
      return this.opts.log.info(
        { reason: 'fhircast.event_ignored' },
        'fhircast event not followed',
      );
    if (kind === 'heartbeat') return;
    if (kind === 'syncerror') return this.reject('fhircast.syncerror');
    if (this.lastAppliedTs !== null && ts < this.lastAppliedTs) {
      return this.opts.log.info(
        { reason: 'fhircast.stale_event', kind },
        'fhircast older event dropped',
      );
    }
    const next = nextState(kind, frame.event.context, this.state.context, new Date(ts), this.opts);
    if (!('state' in next)) return this.reject(next.reason, { kind });
    this.lastAppliedTs = ts;
    this.applied++;
    this.synced = true;
    this.setState(next);
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > SEEN_IDS) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  /** Event notification response: the event id and an HTTP-style status, as a string per the specification. */
  private ack(id: string, status: number): void {
    const socket = this.socket;
    if (socket?.readyState === WebSocket.OPEN)
      socket.send(JSON.stringify({ id, status: String(status) }));
  }

  private setState(next: PatientContextUpdate): void {
    this.state = next;
    try {
      this.opts.onUpdate(next);
    } catch (err) {
      this.opts.log.warn(
        { reason: 'fhircast.listener_failed', err: errorName(err) },
        'context listener failed',
      );
    }
  }

  /** Whether the channel is confirmed and in step (for diagnostics and tests). */
  get isSynced(): boolean {
    return this.synced && this.confirmed;
  }
}

class SubscribeError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

function errorName(err: unknown): string {
  if (err instanceof SubscribeError) return err.reason;
  return err instanceof Error ? err.name : 'unknown';
}

/** Closes a socket and waits for it; a peer that never answers is cut off. */
export function closeSocket(socket: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) return resolve();
    const timer = setTimeout(() => socket.terminate(), 1000);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
    else socket.close(1000);
  });
}
