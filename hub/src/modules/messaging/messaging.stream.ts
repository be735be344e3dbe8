import type { EntityManager } from 'typeorm';
import type { EventFrame } from '@konsilium/shared';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { Logger } from '../../platform/log/logger.js';
import type { Realtime } from '../../platform/realtime/realtime.types.js';
import type { AuditEntry, AuditLog } from '../audit/index.js';
import { StreamEventEntity, StreamHeadEntity, type StreamEventRow } from './messaging.entity.js';

/** What a unit of work sees inside the shared batch transaction. */
export interface StreamTx {
  tx: EntityManager;
  /** The batch's commit time (UTC ISO). */
  now: string;
  /**
   * Conversations whose membership an earlier unit of this batch changed:
   * cached membership is stale for them until the commit, so read it in `tx`.
   */
  membershipChanged: Set<string>;
  /** Runs `fn` after the batch commits, if this unit succeeded. */
  afterCommit(fn: () => void): void;
  /** Queues an audit row; the batch writes its units' rows at once, in order. */
  audit(entry: AuditEntry): void;
  /** Takes the next stream position (messages use it as their `seq`). */
  next(): number;
  /**
   * Records an event at `seq` (from {@link next}) for a conversation or one
   * user, delivered live to `to` after the batch commits.
   */
  emit(
    seq: number,
    scope: { conversationId?: string; userId?: string },
    type: string,
    data: unknown,
    to: readonly string[],
  ): void;
}

/**
 * A unit of work. It runs inside the batch's transaction under its own
 * savepoint: if it throws, its writes are undone and its caller gets the
 * error; the other units of the batch are unaffected.
 */
export type Work<T> = (s: StreamTx) => Promise<T>;

interface Pending {
  work: Work<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

interface Outgoing {
  frame: EventFrame;
  to: readonly string[];
}

/**
 * Group commit (DESIGN "Performance facts"): every unit of work submitted in
 * one event-loop turn runs in one transaction; each caller's promise settles
 * only after that transaction is durable, and live events go out after it.
 * Batches run one after another, so stream positions commit in order.
 */
export class StreamWriter {
  private pending: Pending[] = [];
  private scheduled = false;
  private running = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => undefined;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly realtime: Realtime,
    private readonly auditLog: AuditLog,
    private readonly log: Logger,
    private readonly maxBatch = 500,
  ) {}

  submit<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Resolves when nothing is pending or running (used on stop). */
  drained(): Promise<void> {
    return this.pending.length === 0 && !this.running ? Promise.resolve() : this.idle;
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    if (!this.running) {
      this.idle = new Promise((r) => (this.markIdle = r));
    }
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.maxBatch);
        await this.runBatch(batch);
      }
    } finally {
      this.running = false;
      this.markIdle();
    }
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    const outcomes: { ok: boolean; value: unknown }[] = [];
    const outgoing: Outgoing[] = [];
    const hooks: (() => void)[] = [];
    try {
      await this.db.transaction(async (tx) => {
        outgoing.length = 0;
        outcomes.length = 0;
        const head = await tx.findOneByOrFail(StreamHeadEntity, { id: 1 });
        let seq = Number(head.seq);
        const now = this.clock.now().toISOString();
        const rows: StreamEventRow[] = [];
        const audits: AuditEntry[] = [];
        hooks.length = 0;
        const membershipChanged = new Set<string>();
        for (const item of batch) {
          const myHooks: (() => void)[] = [];
          const mine: { row: StreamEventRow; out: Outgoing }[] = [];
          const myAudits: AuditEntry[] = [];
          const s: StreamTx = {
            tx,
            now,
            membershipChanged,
            audit: (entry) => myAudits.push(entry),
            afterCommit: (fn) => myHooks.push(fn),
            next: () => ++seq,
            emit: (at, scope, type, data, to) => {
              const json = JSON.stringify(data);
              mine.push({
                row: {
                  seq: at,
                  conversationId: scope.conversationId ?? null,
                  userId: scope.userId ?? null,
                  type,
                  data: json,
                  at: now,
                },
                out: { frame: { seq: at, event: type, data }, to },
              });
            },
          };
          // A savepoint per unit: a unit that fails rolls back its own writes
          // only, and the rest of the batch commits.
          await tx.query('SAVEPOINT ks_unit');
          try {
            const value = await item.work(s);
            await tx.query('RELEASE SAVEPOINT ks_unit');
            outcomes.push({ ok: true, value });
            for (const m of mine) {
              rows.push(m.row);
              outgoing.push(m.out);
            }
            audits.push(...myAudits);
            hooks.push(...myHooks);
          } catch (err) {
            await tx.query('ROLLBACK TO SAVEPOINT ks_unit');
            await tx.query('RELEASE SAVEPOINT ks_unit');
            outcomes.push({ ok: false, value: err });
          }
        }
        await this.auditLog.appendMany(tx, audits);
        for (let i = 0; i < rows.length; i += 200) {
          await tx.insert(StreamEventEntity, rows.slice(i, i + 200));
        }
        if (seq !== Number(head.seq)) await tx.update(StreamHeadEntity, { id: 1 }, { seq });
      });
    } catch (err) {
      this.log.error({ err, size: batch.length }, 'stream batch failed');
      for (const item of batch) item.reject(err);
      return;
    }
    for (const hook of hooks) hook();
    // Sockets drop a seq at or below one they sent: publish in stream order.
    outgoing.sort((x, y) => x.frame.seq - y.frame.seq);
    for (const o of outgoing) this.realtime.publish(o.to, o.frame);
    batch.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(o.value);
    });
  }
}
