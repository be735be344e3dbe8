import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { z } from 'zod';
import { iso, type Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { insertMany } from '../db/insert-many.js';
import type { Logger } from '../log/logger.js';
import { DurableTimerEntity, type DurableTimerRow } from './timer.entity.js';

/** The longest single Node timer this service ever arms (well below 2^31-1 ms). */
export const DEFAULT_MAX_ARM_MS = 60 * 60 * 1000;

/** What a handler is told about the timer it runs for. */
export interface FiredTimer {
  id: string;
  kind: string;
  key: string;
  dueAt: string;
  /** Failed runs before this one. */
  attempts: number;
  /** Runs `fn` once the claiming transaction has committed (never when it rolls back). */
  afterCommit(fn: () => void): void;
}

/** Runs inside the claiming transaction: its writes and the `fired` state commit together. */
export type TimerHandler<T> = (payload: T, tx: EntityManager, timer: FiredTimer) => Promise<void>;

export interface TimerSpec {
  kind: string;
  /** The subject the timer belongs to (e.g. an escalation id); cancel by (kind, key). */
  key: string;
  dueAt: Date;
  payload: unknown;
}

export interface DurableTimersOptions {
  db: Database;
  clock: Clock;
  log: Logger;
  /** Cap of one Node timer (default 1 hour). */
  maxArmMs?: number;
  /** First retry delay after a handler failure; doubles per attempt (default 1 s). */
  retryBaseMs?: number;
  /** Longest retry delay (default 5 minutes). */
  retryMaxMs?: number;
}

interface Registered {
  schema: z.ZodType;
  handle: TimerHandler<unknown>;
}

type Claim = 'fired' | 'skipped' | 'failed';

/**
 * Durable timers (ADR 0019). Deadlines are rows; pending ones are kept in an
 * in-memory min-heap with one Node timer for the earliest, never longer than
 * `maxArmMs`. Firing claims the row in a transaction with a conditional update
 * (`state = 'scheduled'` and due), so two claimers never both fire it, and runs
 * the handler in that transaction. A failing handler rolls back; the timer is
 * retried with backoff. `start` re-arms every pending row, overdue ones first.
 */
export class DurableTimers {
  private readonly db: Database;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly maxArmMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly handlers = new Map<string, Registered>();
  /** Armed timers: id → the time (ms) it is to be tried next. */
  private readonly armed = new Map<string, number>();
  /** Min-heap of [time, id]; entries that no longer match `armed` are skipped lazily. */
  private heap: [number, string][] = [];
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private draining: Promise<void> | null = null;
  private again = false;
  /** Timers scheduled inside a caller's transaction: id → claims left before giving up on the row. */
  private readonly unconfirmed = new Map<string, number>();

  constructor(options: DurableTimersOptions) {
    this.db = options.db;
    this.clock = options.clock;
    this.log = options.log;
    this.maxArmMs = Math.min(options.maxArmMs ?? DEFAULT_MAX_ARM_MS, 2 ** 31 - 1);
    this.retryBaseMs = options.retryBaseMs ?? 1000;
    this.retryMaxMs = options.retryMaxMs ?? 5 * 60 * 1000;
  }

  /** Registers the handler of `kind`; its payloads are checked against `schema`. */
  register<S extends z.ZodType>(kind: string, schema: S, handle: TimerHandler<z.infer<S>>): void {
    if (this.handlers.has(kind)) throw new Error(`timer kind already registered: ${kind}`);
    this.handlers.set(kind, { schema, handle });
  }

  /** Stores a timer (in `tx` when given, so it commits with the caller's change); returns its id. */
  async schedule(tx: EntityManager | undefined, spec: TimerSpec): Promise<string> {
    const registered = this.handlers.get(spec.kind);
    if (!registered) throw new Error(`no handler for timer kind: ${spec.kind}`);
    const payload: unknown = registered.schema.parse(spec.payload);
    const row: DurableTimerRow = {
      id: randomUUID(),
      kind: spec.kind,
      key: spec.key,
      dueAt: iso(spec.dueAt),
      payload: JSON.stringify(payload),
      state: 'scheduled',
      attempts: 0,
      lastError: null,
      createdAt: iso(this.clock.now()),
      firedAt: null,
    };
    const deferred = tx ? this.deferred.get(tx) : undefined;
    if (deferred) {
      deferred.push(row);
      this.unconfirmed.set(row.id, 20);
    } else if (tx) {
      await insertMany(tx, DurableTimerEntity, [row]);
      this.unconfirmed.set(row.id, 20);
    } else await this.db.transaction((m) => insertMany(m, DurableTimerEntity, [row]));
    // Armed now; a claim that finds no row yet (the caller's transaction has
    // not committed) retries shortly, and the periodic sweep catches the rest.
    this.arm(row.id, spec.dueAt.getTime());
    return row.id;
  }

  /** Rows scheduled inside {@link collect}, by its key. */
  private readonly deferred = new WeakMap<object, DurableTimerRow[]>();

  /**
   * Runs `fn`; every timer it schedules with `key` (a transaction, or an
   * object standing for one while writes are worked out before it opens) is
   * not written but returned, for {@link write} in the transaction that
   * commits its cause. They are armed already: a claim that finds no row yet
   * looks again shortly.
   */
  async collect<T>(
    key: object,
    fn: () => Promise<T>,
  ): Promise<{ value: T; rows: DurableTimerRow[] }> {
    if (this.deferred.has(key)) throw new Error('timers are already collected for this key');
    const rows: DurableTimerRow[] = [];
    this.deferred.set(key, rows);
    try {
      return { value: await fn(), rows };
    } finally {
      this.deferred.delete(key);
    }
  }

  /**
   * Forgets timers returned by {@link collect} whose transaction did not
   * commit: they are not armed any more (no claim will look for their rows).
   */
  discard(rows: readonly DurableTimerRow[]): void {
    for (const r of rows) {
      this.armed.delete(r.id);
      this.unconfirmed.delete(r.id);
    }
  }

  /** Writes timers returned by {@link collect}, in multi-row inserts. */
  write(tx: EntityManager, rows: readonly DurableTimerRow[]): Promise<void> {
    return insertMany(tx, DurableTimerEntity, rows);
  }

  /** Cancels pending timers by id or by subject; returns how many were cancelled. */
  async cancel(
    tx: EntityManager | undefined,
    target: string | { kind: string; key: string },
  ): Promise<number> {
    const work = async (m: EntityManager): Promise<string[]> => {
      const where =
        typeof target === 'string'
          ? { id: target, state: 'scheduled' as const }
          : { kind: target.kind, key: target.key, state: 'scheduled' as const };
      const rows = await m.find(DurableTimerEntity, { where, select: { id: true } });
      const ids: string[] = [];
      for (const r of rows) {
        const res = await m.update(
          DurableTimerEntity,
          { id: r.id, state: 'scheduled' },
          { state: 'cancelled' },
        );
        if (res.affected === 1) ids.push(r.id);
      }
      return ids;
    };
    const ids = tx ? await work(tx) : await this.db.transaction(work);
    for (const id of ids) {
      this.armed.delete(id);
      this.unconfirmed.delete(id);
    }
    return ids.length;
  }

  /** Loads every pending row and arms it; overdue ones fire promptly, in due order. */
  async start(): Promise<void> {
    this.running = true;
    await this.sweep(null);
    this.rearm();
  }

  /** Disarms and waits for a firing in progress. Rows stay as they are. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.draining;
    this.armed.clear();
    this.heap = [];
  }

  /** Delay (ms) of the Node timer now armed, or null; for tests and diagnostics. */
  armedDelayMs(): number | null {
    return this.timer ? this.armedDelay : null;
  }
  private armedDelay = 0;

  /** Number of timers held in memory. */
  pendingCount(): number {
    return this.armed.size;
  }

  /**
   * Fires everything due by the clock now, then re-arms. The Node timer calls
   * this; tests call it after moving a fake clock.
   */
  runDue(): Promise<void> {
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = this.drain().finally(() => {
      this.draining = null;
      this.rearm();
    });
    return this.draining;
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      let top = this.peek();
      while (this.running && top && top[0] <= this.clock.now().getTime()) {
        this.popTop();
        const id = top[1];
        this.armed.delete(id);
        await this.fire(id);
        top = this.peek();
      }
    } while (this.again && this.running);
  }

  private async fire(id: string): Promise<void> {
    let claim: Claim;
    try {
      claim = await this.claim(id);
    } catch (err) {
      let row: DurableTimerRow | null;
      try {
        row = await this.db.manager.findOneBy(DurableTimerEntity, { id });
      } catch {
        // The database itself is failing: keep the timer armed and try again.
        this.log.warn({ timerId: id, retryInMs: this.retryBaseMs }, 'timer claim failed');
        this.arm(id, this.clock.now().getTime() + this.retryBaseMs);
        return;
      }
      if (!row || row.state !== 'scheduled') return;
      const attempts = row.attempts + 1;
      const message = err instanceof Error ? err.message : String(err);
      await this.db
        .transaction((m) =>
          m.update(
            DurableTimerEntity,
            { id, state: 'scheduled' },
            { attempts, lastError: message.slice(0, 500) },
          ),
        )
        .catch(() => undefined);
      const delay = Math.min(this.retryBaseMs * 2 ** (attempts - 1), this.retryMaxMs);
      this.log.warn({ timerId: id, kind: row.kind, attempts, retryInMs: delay }, 'timer failed');
      this.arm(id, this.clock.now().getTime() + delay);
      return;
    }
    if (claim === 'skipped') {
      // Not committed yet (scheduled in a caller's open transaction), or moved
      // on by another claimer: look once more shortly if it is still pending.
      const row = await this.db.manager.findOneBy(DurableTimerEntity, { id }).catch(() => null);
      const left = this.unconfirmed.get(id) ?? 0;
      if (row?.state === 'scheduled') this.arm(id, Date.parse(row.dueAt));
      else if (!row && left > 0) {
        this.unconfirmed.set(id, left - 1);
        this.arm(id, this.clock.now().getTime() + 250);
        return;
      }
    }
    this.unconfirmed.delete(id);
  }

  private async claim(id: string): Promise<Claim> {
    const after: (() => void)[] = [];
    const claim = await this.db.transaction(async (m): Promise<Claim> => {
      const now = iso(this.clock.now());
      const res = await m
        .createQueryBuilder()
        .update(DurableTimerEntity)
        .set({ state: 'fired', firedAt: now })
        .where('id = :id AND state = :state AND due_at <= :now', {
          id,
          state: 'scheduled',
          now,
        })
        .execute();
      if (res.affected !== 1) return 'skipped';
      const row = await m.findOneByOrFail(DurableTimerEntity, { id });
      const registered = this.handlers.get(row.kind);
      let payload: unknown;
      let problem: string | null = null;
      if (!registered) problem = `no handler for timer kind ${row.kind}`;
      else {
        try {
          const parsed = registered.schema.safeParse(JSON.parse(row.payload));
          if (parsed.success) payload = parsed.data;
          else problem = `payload does not match the schema of ${row.kind}`;
        } catch {
          problem = `payload is not JSON`;
        }
      }
      if (problem || !registered) {
        await m.update(DurableTimerEntity, { id }, { state: 'failed', lastError: problem });
        this.log.error({ timerId: id, kind: row.kind, reason: problem }, 'timer payload rejected');
        return 'failed';
      }
      await registered.handle(payload, m, {
        id,
        kind: row.kind,
        key: row.key,
        dueAt: row.dueAt,
        attempts: row.attempts,
        afterCommit: (fn) => after.push(fn),
      });
      return 'fired';
    });
    for (const fn of after) {
      try {
        fn();
      } catch (err) {
        this.log.error({ err, timerId: id }, 'timer after-commit hook failed');
      }
    }
    return claim;
  }

  /** Loads pending rows (all, or those due before `horizon`) that are not armed yet. */
  private async sweep(horizon: Date | null): Promise<void> {
    const qb = this.db.manager
      .createQueryBuilder(DurableTimerEntity, 't')
      .where('t.state = :state', { state: 'scheduled' })
      .orderBy('t.due_at', 'ASC');
    if (horizon) qb.andWhere('t.due_at <= :h', { h: iso(horizon) });
    const rows = await qb.getMany();
    for (const r of rows) if (!this.armed.has(r.id)) this.arm(r.id, Date.parse(r.dueAt));
  }

  private arm(id: string, at: number): void {
    const current = this.armed.get(id);
    if (current !== undefined && current <= at) return;
    this.armed.set(id, at);
    this.push([at, id]);
    if (!this.draining) this.rearm();
    else this.again = true;
  }

  private rearm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.running) return;
    const top = this.peek();
    const now = this.clock.now().getTime();
    const delay = top ? Math.max(0, Math.min(top[0] - now, this.maxArmMs)) : this.maxArmMs;
    this.armedDelay = delay;
    const capped = !top || top[0] - now > this.maxArmMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (capped) {
        // A wake-up at the cap: pick up rows other instances scheduled, then fire what is due.
        const horizon = new Date(this.clock.now().getTime() + this.maxArmMs);
        void this.sweep(horizon)
          .catch((err: unknown) => this.log.error({ err }, 'timer sweep failed'))
          .then(() => this.runDue());
      } else void this.runDue();
    }, delay);
    this.timer.unref();
  }

  // ---- min-heap ----

  /** The earliest live entry (stale ones are dropped). */
  private peek(): [number, string] | undefined {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (this.armed.get(top[1]) === top[0]) return top;
      this.popTop();
    }
    return undefined;
  }

  private push(e: [number, string]): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]![0] <= e[0]) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  private popTop(): void {
    const h = this.heap;
    const last = h.pop();
    if (!last || h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let mv = last[0];
      if (l < h.length && h[l]![0] < mv) {
        m = l;
        mv = h[l]![0];
      }
      if (r < h.length && h[r]![0] < mv) m = r;
      if (m === i) break;
      h[i] = h[m]!;
      i = m;
    }
    h[i] = last;
  }
}
