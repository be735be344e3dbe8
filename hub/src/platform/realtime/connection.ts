import { WebSocket } from 'ws';
import { CLOSE_CODES } from '@konsilium/shared';
import type { Actor } from '../http/actor.js';

/**
 * `auth`: waiting for the first frame; `authenticating`: the token is being
 * checked; `resuming`: authenticated, live events are queued while the
 * backlog is sent; `live`: events go straight out; `closed`: nothing more.
 */
export type ConnectionState = 'auth' | 'authenticating' | 'resuming' | 'live' | 'closed';

/** How long a closing socket may take to finish its close handshake before it is terminated. */
export const CLOSE_GRACE_MS = 2_000;
/** Malformed frames tolerated per window before the socket is closed with 4009. */
export const MALFORMED_LIMIT = 20;
const MALFORMED_WINDOW_MS = 60_000;
/** Frames are text, also when the JSON is passed already encoded. */
const TEXT = { binary: false } as const;

interface Queued {
  seq: number;
  frame: Buffer;
}

/** A ws socket's underlying TCP socket (ws keeps it in a private field). */
interface Corkable {
  cork(): void;
  uncork(): void;
  readonly destroyed: boolean;
}
const rawSocket = (ws: WebSocket): Corkable | undefined =>
  (ws as unknown as { _socket?: Corkable })._socket;

/**
 * Sockets corked in this event-loop turn. Everything sent to a socket in one
 * turn (a batch's events, then the replies of its ops) leaves in one write
 * when the turn ends, instead of one system call per frame.
 */
let corked: { conn: Connection; raw: Corkable }[] = [];
function uncorkAll(): void {
  const list = corked;
  corked = [];
  for (const { conn, raw } of list) {
    conn.corked = false;
    if (!raw.destroyed) raw.uncork();
  }
}
function corkForThisTurn(conn: Connection): void {
  if (conn.corked) return;
  const raw = rawSocket(conn.socket);
  if (!raw || raw.destroyed) return;
  raw.cork();
  conn.corked = true;
  if (corked.length === 0) setImmediate(uncorkAll);
  corked.push({ conn, raw });
}

/**
 * One client socket and its protocol state. Kept deliberately small (a few
 * numbers and references) because a hub holds thousands of idle ones.
 */
export class Connection {
  state: ConnectionState = 'auth';
  actor: Actor | null = null;
  /** Kept for the periodic re-validation of the session; never logged. */
  token: string | null = null;
  /** Cleared at each ping, set by the pong. */
  alive = true;
  /** The highest `seq` sent on this socket: nothing at or below it is sent again. */
  lastSent = 0;
  /** Ops in flight. */
  inflight = 0;
  /** Corked until the end of this event-loop turn. */
  corked = false;
  authTimer: NodeJS.Timeout | null = null;
  /** Frames that arrived while the token was being checked, run after it. */
  early: string[] | null = null;
  private queue: Queued[] | null = null;
  private queuedBytes = 0;
  private malformedCount = 0;
  private malformedSince = 0;
  private onEnd: ((c: Connection) => void) | null;

  constructor(
    readonly socket: WebSocket,
    readonly ip: string,
    readonly userAgent: string | null,
    private readonly sendBufferBytes: number,
    onEnd: (c: Connection) => void,
  ) {
    this.onEnd = onEnd;
    socket.once('close', () => this.end());
  }

  /** True once the socket is closing or closed (a getter, so it is read fresh after an await). */
  get ended(): boolean {
    return this.state === 'closed';
  }

  get open(): boolean {
    return this.state !== 'closed' && this.socket.readyState === WebSocket.OPEN;
  }

  /**
   * Sends one text frame unless it would take the socket's send buffer over
   * `wsSendBufferBytes`; then the client is cut off (4008) and false returned.
   */
  send(json: string | Buffer, bytes = Buffer.byteLength(json)): boolean {
    if (!this.open) return false;
    if (this.socket.bufferedAmount + bytes > this.sendBufferBytes) {
      this.close(CLOSE_CODES.slowConsumer, 'slow consumer, reconnect and resume');
      return false;
    }
    corkForThisTurn(this);
    this.socket.send(json, TEXT);
    return true;
  }

  /**
   * Delivers a live event (its JSON as UTF-8, encoded once for all
   * recipients): queued while resuming, dropped if not newer than the last sent.
   */
  deliver(seq: number, frame: Buffer): void {
    if (this.state === 'closed' || seq <= this.lastSent) return;
    if (this.queue) {
      this.queuedBytes += frame.length;
      if (this.queuedBytes + this.socket.bufferedAmount > this.sendBufferBytes) {
        this.close(CLOSE_CODES.slowConsumer, 'slow consumer, reconnect and resume');
        return;
      }
      this.queue.push({ seq, frame });
      return;
    }
    if (this.send(frame, frame.length)) this.lastSent = seq;
  }

  /** From now on live events are queued (until {@link flushQueue}); `from` is the client's last seq. */
  holdLive(from: number): void {
    this.lastSent = from;
    this.queue = [];
    this.queuedBytes = 0;
  }

  /**
   * Sends one backlog event outside the bound. When the buffer is over half the
   * bound, returns a promise that settles once this frame has reached the OS:
   * the resume loop awaits it, so a long backlog never piles up in memory.
   */
  sendBacklog(seq: number, json: string): Promise<void> | null {
    if (!this.open || seq <= this.lastSent) return null;
    this.lastSent = seq;
    if (this.socket.bufferedAmount <= this.sendBufferBytes / 2) {
      this.socket.send(json);
      return null;
    }
    return new Promise((resolve) => this.socket.send(json, () => resolve()));
  }

  /** Ends the resume: sends the queued live events newer than the backlog, in order; goes live. */
  flushQueue(): void {
    const queue = this.queue ?? [];
    this.queue = null;
    this.queuedBytes = 0;
    if (this.state === 'closed') return;
    this.state = 'live';
    for (const e of queue) {
      if (e.seq <= this.lastSent) continue;
      if (!this.send(e.frame, e.frame.length)) return;
      this.lastSent = e.seq;
    }
  }

  /** Counts a malformed frame; true when the client is over the limit. */
  noteMalformed(now: number): boolean {
    if (now - this.malformedSince > MALFORMED_WINDOW_MS) {
      this.malformedSince = now;
      this.malformedCount = 0;
    }
    this.malformedCount += 1;
    return this.malformedCount > MALFORMED_LIMIT;
  }

  /** Starts the close handshake; terminates the socket if it has not finished within the grace. */
  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.end();
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close(code, reason);
    const timer = setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  /** Drops the socket at once (a missed heartbeat). */
  terminate(): void {
    this.state = 'closed';
    this.end();
    this.socket.terminate();
  }

  /** Resolves when the socket is fully closed. */
  closed(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  private end(): void {
    this.state = 'closed';
    this.queue = null;
    this.early = null;
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
    const onEnd = this.onEnd;
    this.onEnd = null;
    onEnd?.(this);
  }
}
