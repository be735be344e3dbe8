import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CLOSE_CODES, isAppError, type EventFrame } from '@konsilium/shared';
import type { HubConfig } from '../../config/index.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import type { Authenticator } from '../http/actor.js';
import type { Logger } from '../log/logger.js';
import { Connection } from './connection.js';
import { WS_PATH, originAllowed, pathOf, refuseUpgrade } from './handshake.js';
import {
  CacheScope,
  MAX_INVALIDATION_ID_LENGTH,
  MAX_INVALIDATION_IDS,
  type RedisFanout,
} from './fanout.js';
import { INTERNAL_ERROR_CLOSE, metaOf, onFrame, type GatewayCore } from './inbound.js';
import type { OpHandler, Realtime, ResumeSource, StreamBatch } from './realtime.types.js';
import { planResume, sendBacklog } from './resume.js';
import { StreamSequencer, type SequencerTarget } from './sequencer.js';

export interface GatewayOptions {
  config: HubConfig;
  log: Logger;
  /** Unused by the socket layer (heartbeats use real timers); kept for the contract. */
  clock: Clock;
  bus: EventBus;
  authenticate: Authenticator;
  /** Several hub nodes: the Redis link to the others (ADR 0025); absent for one node. */
  fanout?: RedisFanout | null;
}

/** A cache scope the wire would refuse is a programming error: fail where it is named. */
function checkScope(scope: string): void {
  if (!CacheScope.safeParse(scope).success) throw new Error(`invalid cache scope: ${scope}`);
}

/** Sessions re-validated at once during a heartbeat (bounds the load on the database). */
const REVALIDATE_CONCURRENCY = 4;
/** Sockets caught up from the database at once after a lost range (ADR 0025). */
const CATCH_UP_CONCURRENCY = 4;

/**
 * The WebSocket gateway at `/api/v1/ws` (DESIGN "Realtime protocol",
 * invariants 3, 7, 9): auth by first frame, op dispatch, per-user event
 * fan-out with bounded send buffers, resume, heartbeats. Modules see it
 * through {@link Realtime}. See docs/adr/0007-realtime-gateway.md.
 */
export class RealtimeGateway implements Realtime {
  private readonly ops = new Map<string, OpHandler<unknown>>();
  private readonly byUser = new Map<string, Set<Connection>>();
  private readonly all = new Set<Connection>();
  private source: ResumeSource | null = null;
  private headOf: () => Promise<number> = () => Promise.resolve(0);
  private wss: WebSocketServer | null = null;
  private server: Server | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private revalidating = false;
  /** Set by `close`: sockets closing then are not announced as users going offline. */
  private closing = false;
  private readonly core: GatewayCore;
  private sequencer: StreamSequencer | null = null;
  private readonly foreignListeners: ((ids: readonly string[] | null) => void)[] = [];
  private readonly signalListeners = new Map<string, ((ids: string[]) => void)[]>();
  private readonly invalidationListeners = new Map<
    string,
    ((ids: readonly string[] | null) => void)[]
  >();
  /** Invalidations of this turn by scope (null: all), sent together at its end. */
  private readonly pendingInvalidations = new Map<string, Set<string> | null>();
  private invalidationFlush: NodeJS.Immediate | null = null;

  constructor(private readonly options: GatewayOptions) {
    this.core = {
      log: options.log,
      authenticate: options.authenticate,
      op: (name) => this.ops.get(name),
      admit: (conn) => this.admit(conn),
      head: () => this.headOf(),
      resumeSource: () => this.source,
    };
  }

  registerOp<T>(op: string, handler: OpHandler<T>): void {
    if (!/^[a-z]+(\.[a-z_]+)+$/.test(op) || op === 'auth') {
      throw new Error(`realtime op name must be <domain>.<verb>: ${op}`);
    }
    if (this.ops.has(op)) throw new Error(`realtime op registered twice: ${op}`);
    this.ops.set(op, handler);
  }

  /** A later call replaces an earlier one. */
  setResumeSource(source: ResumeSource, head: () => Promise<number>): void {
    this.source = source;
    this.headOf = head;
  }

  publish(userIds: Iterable<string>, event: EventFrame, json?: string): void {
    this.send(userIds, event.seq, json ?? JSON.stringify(event));
  }

  publishBatch(batch: StreamBatch): void {
    const sequencer = this.sequencer;
    if (!sequencer) {
      this.deliverBatch(batch);
      return;
    }
    this.options.fanout?.publishBatch(batch);
    sequencer.push(batch);
  }

  onForeignChange(listener: (conversationIds: readonly string[] | null) => void): void {
    this.foreignListeners.push(listener);
  }

  signalNodes(topic: string, ids: readonly string[]): void {
    if (this.sequencer && ids.length > 0) this.options.fanout?.publishSignal(topic, ids);
  }

  onNodeSignal(topic: string, listener: (ids: string[]) => void): void {
    const list = this.signalListeners.get(topic);
    if (list) list.push(listener);
    else this.signalListeners.set(topic, [listener]);
  }

  invalidateOnNodes(scope: string, ids: readonly string[] | null): void {
    checkScope(scope);
    if (!this.sequencer) return;
    const pending = this.pendingInvalidations;
    // A key the wire refuses would cost the whole message: say "all" instead.
    if (ids?.some((id) => id.length === 0 || id.length > MAX_INVALIDATION_ID_LENGTH)) ids = null;
    if (ids === null || pending.get(scope) === null) pending.set(scope, null);
    else {
      const set = pending.get(scope) ?? new Set<string>();
      for (const id of ids) set.add(id);
      pending.set(scope, set.size > MAX_INVALIDATION_IDS ? null : set);
    }
    this.invalidationFlush ??= setImmediate(() => this.flushInvalidations());
  }

  onNodeInvalidate(scope: string, listener: (ids: readonly string[] | null) => void): void {
    checkScope(scope);
    const list = this.invalidationListeners.get(scope);
    if (list) list.push(listener);
    else this.invalidationListeners.set(scope, [listener]);
  }

  private flushInvalidations(): void {
    if (this.invalidationFlush) clearImmediate(this.invalidationFlush);
    this.invalidationFlush = null;
    for (const [scope, ids] of this.pendingInvalidations)
      this.options.fanout?.publishInvalidation(scope, ids && [...ids]);
    this.pendingInvalidations.clear();
  }

  /** Tells this node's caches what other nodes changed; `scope` null: every cache, all entries. */
  private invalidateHere(scope: string | null, ids: readonly string[] | null): void {
    const targets =
      scope === null
        ? [...this.invalidationListeners.values()].flat()
        : (this.invalidationListeners.get(scope) ?? []);
    for (const l of targets) {
      try {
        l(ids);
      } catch (err) {
        this.options.log.error({ err, scope }, 'realtime: cache invalidation failed');
      }
    }
  }

  /**
   * Several nodes: connects to the other nodes through Redis and starts
   * sending batches in stream order (after the resume source is set). `scope`
   * names the shared database.
   */
  async startFanout(scope: string): Promise<void> {
    const fanout = this.options.fanout;
    if (!fanout || this.sequencer) return;
    const target: SequencerTarget = {
      deliver: (b) => this.deliverBatch(b),
      catchUpAll: (during) => this.catchUpAll(during),
      head: () => this.headOf(),
    };
    const sequencer = new StreamSequencer(target, this.options.config.redisGapMs);
    this.sequencer = sequencer;
    await fanout.start(scope, {
      batch: (b) => {
        if (b.forget.length > 0) for (const l of this.foreignListeners) l(b.forget);
        sequencer.push(b);
      },
      sessionsEnded: (ids) => this.endSessions(new Set(ids)),
      signal: (topic, ids) => {
        for (const l of this.signalListeners.get(topic) ?? []) {
          try {
            l(ids);
          } catch (err) {
            this.options.log.error({ err, topic }, 'realtime: node signal listener failed');
          }
        }
      },
      invalidate: (scope, ids) => this.invalidateHere(scope, ids),
      resubscribed: () => {
        for (const l of this.foreignListeners) l(null);
        // Invalidations sent while the subscription was away are lost.
        this.invalidateHere(null, null);
        void sequencer.resync();
      },
    });
    // What the caches loaded before the subscription may have missed a change.
    this.invalidateHere(null, null);
    await sequencer.start();
  }

  /** The stream position this node has sent up to (several nodes; null for one). */
  fanoutPosition(): number | null {
    return this.sequencer?.position() ?? null;
  }

  private deliverBatch(batch: StreamBatch): void {
    for (const e of batch.events) this.send(e.to, e.seq, e.json);
  }

  private send(userIds: Iterable<string>, seq: number, json: string): void {
    let frame: Buffer | null = null;
    for (const userId of userIds) {
      const conns = this.byUser.get(userId);
      if (!conns) continue;
      frame ??= Buffer.from(json, 'utf8');
      for (const conn of conns) conn.deliver(seq, frame);
    }
  }

  isOnline(userId: string): boolean {
    return (this.byUser.get(userId)?.size ?? 0) > 0;
  }

  /**
   * A stream range may never arrive: holds every live socket, lets `during`
   * put what did arrive in their queues, then sends each what it missed from
   * the database, as a resume would. A socket still in its own resume is
   * closed (1011) and resumes again.
   */
  private async catchUpAll(during: () => void): Promise<void> {
    const live: Connection[] = [];
    for (const conn of [...this.all]) {
      if (!conn.actor || conn.state === 'closed') continue;
      if (conn.state !== 'live') {
        conn.close(INTERNAL_ERROR_CLOSE, 'stream catch-up, reconnect and resume');
        continue;
      }
      conn.holdLive(conn.lastSent);
      live.push(conn);
    }
    during();
    const source = this.source;
    this.options.log.warn(
      { sockets: live.length },
      'realtime: catching sockets up from the database',
    );
    const worker = async () => {
      for (let conn = live.pop(); conn; conn = live.pop()) {
        try {
          if (source) {
            const plan = await planResume(source, conn.actor!.userId, conn.lastSent);
            await sendBacklog(conn, source, plan);
          }
          conn.flushQueue();
        } catch (err) {
          this.options.log.error({ err }, 'realtime: catch-up failed');
          conn.close(INTERNAL_ERROR_CLOSE, 'stream catch-up failed, reconnect and resume');
        }
      }
    };
    await Promise.all(Array.from({ length: CATCH_UP_CONCURRENCY }, worker));
  }

  connectionCount(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  /** Bytes queued in user space for all sockets (metrics and the slow-consumer test). */
  bufferedBytes(): number {
    let n = 0;
    for (const conn of this.all) n += conn.socket.bufferedAmount;
    return n;
  }

  /** Starts accepting upgrades at `/api/v1/ws` on this server. */
  attach(server: Server): void {
    if (this.wss) throw new Error('the realtime gateway is already attached');
    this.closing = false;
    const { config } = this.options;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.wsMaxPayloadBytes,
      clientTracking: false,
      perMessageDeflate: false,
    });
    this.server = server;
    server.on('upgrade', this.onUpgrade);
    this.unsubscribe = this.options.bus.on('session.ended', ({ sessionIds }) => {
      this.endSessions(new Set(sessionIds));
      this.options.fanout?.publishSessionsEnded(sessionIds);
    });
    this.heartbeat = setInterval(() => this.beat(), config.wsHeartbeatSeconds * 1000);
    this.heartbeat.unref();
  }

  /** Closes every socket (1001) and stops timers; resolves when all sockets are closed. */
  async close(): Promise<void> {
    this.flushInvalidations();
    this.sequencer?.stop();
    this.sequencer = null;
    await this.options.fanout?.stop();
    const wss = this.wss;
    if (!wss) return;
    this.wss = null;
    this.closing = true;
    this.server?.off('upgrade', this.onUpgrade);
    this.server = null;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    const conns = [...this.all];
    for (const conn of conns) conn.close(CLOSE_CODES.goingAway, 'hub shutting down');
    await Promise.all(conns.map((c) => c.closed()));
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    this.options.log.debug({ closed: conns.length }, 'realtime gateway closed');
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const wss = this.wss;
    if (pathOf(req) !== WS_PATH) return refuseUpgrade(socket, 404);
    if (!wss) return refuseUpgrade(socket, 503);
    if (!originAllowed(req, this.options.config.allowedOrigins)) {
      this.options.log.debug({ origin: req.headers.origin }, 'realtime: origin refused');
      return refuseUpgrade(socket, 403);
    }
    wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
  };

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const { config, log } = this.options;
    const conn = new Connection(
      ws,
      req.socket.remoteAddress ?? '',
      req.headers['user-agent']?.slice(0, 300) ?? null,
      config.wsSendBufferBytes,
      (c) => this.forget(c),
    );
    this.all.add(conn);
    conn.authTimer = setTimeout(
      () => conn.close(CLOSE_CODES.authTimeout, 'no auth frame in time'),
      config.wsAuthTimeoutSeconds * 1000,
    );
    conn.authTimer.unref();
    ws.on('message', (data) => {
      conn.alive = true;
      // Binary frames are read as UTF-8 text too.
      const bytes = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data);
      onFrame(this.core, conn, bytes.toString('utf8'));
    });
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('error', (err) => log.debug({ err: err.message }, 'realtime: socket error'));
    ws.once('close', (code) =>
      log.debug({ code, open: this.all.size }, 'realtime: connection closed'),
    );
    log.debug({ open: this.all.size }, 'realtime: connection opened');
  }

  private admit(conn: Connection): void {
    const userId = conn.actor!.userId;
    let set = this.byUser.get(userId);
    const first = !set;
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(conn);
    if (first) this.options.bus.emit('realtime.presence', { userId, online: true });
  }

  private forget(conn: Connection): void {
    this.all.delete(conn);
    const userId = conn.actor?.userId;
    const set = userId ? this.byUser.get(userId) : undefined;
    if (set?.delete(conn) && set.size === 0) {
      this.byUser.delete(userId!);
      if (!this.closing)
        this.options.bus.emit('realtime.presence', { userId: userId!, online: false });
    }
  }

  private endSessions(ids: ReadonlySet<string>): void {
    for (const conn of [...this.all]) {
      if (conn.actor && ids.has(conn.actor.sessionId)) {
        conn.close(CLOSE_CODES.sessionEnded, 'session ended');
      }
    }
  }

  /** Pings every socket, drops those that missed the last pong, re-validates sessions. */
  private beat(): void {
    for (const conn of [...this.all]) {
      if (!conn.alive) {
        conn.terminate();
        continue;
      }
      conn.alive = false;
      if (conn.open) conn.socket.ping();
    }
    if (!this.revalidating) {
      this.revalidating = true;
      void this.revalidate().finally(() => {
        this.revalidating = false;
      });
    }
  }

  /**
   * Checks each authenticated socket's session again (one call per token), so
   * a session that expired or whose user was deactivated loses its sockets
   * (4003). A database failure keeps them: it says nothing about the session.
   */
  private async revalidate(): Promise<void> {
    const byToken = new Map<string, Connection[]>();
    for (const conn of this.all) {
      if (!conn.token || conn.state === 'closed') continue;
      const list = byToken.get(conn.token);
      if (list) list.push(conn);
      else byToken.set(conn.token, [conn]);
    }
    const work = [...byToken.values()];
    const worker = async () => {
      for (let conns = work.pop(); conns; conns = work.pop()) {
        try {
          await this.options.authenticate(conns[0]!.token!, metaOf(conns[0]!));
        } catch (err) {
          if (isAppError(err) && err.status < 500) {
            for (const c of conns) c.close(CLOSE_CODES.sessionEnded, 'session ended');
          }
        }
      }
    };
    await Promise.all(Array.from({ length: REVALIDATE_CONCURRENCY }, worker));
  }
}
