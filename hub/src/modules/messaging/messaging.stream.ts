import type { EntityManager } from 'typeorm';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { Logger } from '../../platform/log/logger.js';
import { Params } from '../../platform/db/params.js';
import { together, type Step } from '../../platform/db/together.js';
import { rememberJson } from '../../platform/realtime/frames.js';
import type { Realtime } from '../../platform/realtime/realtime.types.js';
import type { AuditEntry, AuditLog } from '../audit/index.js';
import { StreamHeadEntity, type StreamEventRow } from './messaging.entity.js';

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

/** What {@link BulkKind.apply} decides for one item. */
export type BulkOutcome<R> =
  | { ok: true; value: R }
  | { ok: false; error: unknown }
  /** Not applied here: the item runs alone after the bulk, as `single(item)` under its own savepoint. */
  | { alone: true };

/**
 * Units of one kind that can be applied together (plain message sends): a
 * run of consecutive items of a batch goes to {@link apply} at once, under one
 * savepoint, so that n sends cost a few multi-row statements instead of n
 * times several. `units[i]` is item i's own view of the batch: its events,
 * audit rows and hooks count only if its outcome is `ok`. An item that fails
 * must have written nothing (its checks come before the shared writes). If
 * `apply` throws, its writes are rolled back and every item runs alone
 * through {@link single} under its own savepoint, as any other unit.
 */
export interface BulkKind<I, R> {
  apply(s: StreamTx, items: readonly I[], units: readonly StreamTx[]): Promise<BulkOutcome<R>[]>;
  single(item: I): Work<R>;
}

/** A run of bulk items failed in a batch that has no savepoint around it. */
class BulkFailed extends Error {
  constructor(cause: unknown) {
    super('bulk apply failed', { cause });
  }
}

interface Pending {
  work: Work<unknown>;
  bulk?: { kind: BulkKind<unknown, unknown>; item: unknown };
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** One unit's collected effects, kept only if the unit succeeds. */
interface Effects {
  events: { row: StreamEventRow; out: Outgoing }[];
  audits: AuditEntry[];
  hooks: (() => void)[];
}

interface Outgoing {
  seq: number;
  /** The event frame as JSON, built around the stored `data` (serialised once). */
  json: string;
  to: readonly string[];
}

/**
 * Reads what other hub nodes committed in `(after, upTo]` (inside the batch
 * transaction that holds the stream head) and returns the conversations whose
 * membership they changed: the batch reads those in `tx`, not from a cache.
 */
export type ForeignCommits = (tx: EntityManager, after: number, upTo: number) => Promise<string[]>;

/**
 * Group commit (DESIGN "Performance facts"): every unit of work submitted in
 * one event-loop turn runs in one transaction; each caller's promise settles
 * only after that transaction is durable, and live events go out after it.
 * Batches run one after another, so stream positions commit in order.
 */
export class StreamWriter {
  private pending: Pending[] = [];
  /** The stream head after the last committed batch (SQLite only); null: read it. */
  private head: number | null = null;
  /**
   * The head as this node last wrote or read it (PostgreSQL): a batch that
   * finds the head beyond it knows another node committed in between.
   */
  private known: number | null = null;
  private foreign: ForeignCommits | null = null;
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

  /**
   * Several nodes on one database: `fn` tells a batch what the other nodes
   * committed since this node's last batch; `head` is the stream head now.
   */
  watchForeignCommits(fn: ForeignCommits, head: number): void {
    this.foreign = fn;
    this.known = head;
  }

  submit<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  /**
   * Submits an item of a {@link BulkKind}: consecutive items of the same kind
   * in a batch are applied together; the caller sees the same guarantees as
   * with {@link submit}.
   */
  submitBulk<I, R>(kind: BulkKind<I, R>, item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({
        work: kind.single(item),
        bulk: { kind: kind, item },
        resolve: resolve as (v: unknown) => void,
        reject,
      });
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
    // A batch that is one run of one bulk kind needs no savepoint around it:
    // if the run fails, the whole transaction is rolled back and the batch
    // runs again with every item alone.
    const kind0 = batch[0]?.bulk?.kind;
    const sole = !!kind0 && batch.length > 1 && batch.every((p) => p.bulk?.kind === kind0);
    let committed = 0;
    let before = 0;
    let changed = new Set<string>();
    try {
      await this.db.transaction(async (tx) => {
        outgoing.length = 0;
        outcomes.length = 0;
        hooks.length = 0;
        const headSeq = this.head ?? (await this.lockHead(tx));
        let seq = headSeq;
        const now = this.clock.now().toISOString();
        const rows: StreamEventRow[] = [];
        const audits: AuditEntry[] = [];
        const membershipChanged = new Set<string>();
        if (this.foreign && this.known !== null && headSeq > this.known) {
          for (const id of await this.foreign(tx, this.known, headSeq)) membershipChanged.add(id);
        }
        changed = membershipChanged;
        const unit = (fx: Effects): StreamTx => ({
          tx,
          now,
          membershipChanged,
          audit: (entry) => fx.audits.push(entry),
          afterCommit: (fn) => fx.hooks.push(fn),
          next: () => ++seq,
          emit: (at, scope, type, data, to) => {
            const json = JSON.stringify(data);
            // The sender's reply carries the same message: serialise it once.
            if (type === 'message.created' && typeof data === 'object' && data !== null)
              rememberJson(data, json);
            fx.events.push({
              row: {
                seq: at,
                conversationId: scope.conversationId ?? null,
                userId: scope.userId ?? null,
                type,
                data: json,
                at: now,
              },
              out: { seq: at, json: `{"seq":${at},"event":"${type}","data":${json}}`, to },
            });
          },
        });
        const keep = (fx: Effects) => {
          for (const e of fx.events) {
            rows.push(e.row);
            outgoing.push(e.out);
          }
          audits.push(...fx.audits);
          hooks.push(...fx.hooks);
        };
        const effects = (): Effects => ({ events: [], audits: [], hooks: [] });
        // A savepoint per unit: a unit that fails rolls back its own writes
        // only, and the rest of the batch commits.
        const runAlone = async (work: Work<unknown>): Promise<{ ok: boolean; value: unknown }> => {
          const fx = effects();
          const before = seq;
          await tx.query('SAVEPOINT ks_unit');
          try {
            const value = await work(unit(fx));
            await tx.query('RELEASE SAVEPOINT ks_unit');
            keep(fx);
            return { ok: true, value };
          } catch (err) {
            await tx.query('ROLLBACK TO SAVEPOINT ks_unit');
            await tx.query('RELEASE SAVEPOINT ks_unit');
            seq = before;
            return { ok: false, value: err };
          }
        };
        for (let i = 0; i < batch.length;) {
          const kind = batch[i]!.bulk?.kind;
          let j = i + 1;
          if (kind) while (j < batch.length && batch[j]!.bulk?.kind === kind) j++;
          if (!kind || j - i === 1) {
            outcomes.push(await runAlone(batch[i]!.work));
            i += 1;
            continue;
          }
          const run = batch.slice(i, j);
          const fxs = run.map(effects);
          const before = seq;
          let decided: BulkOutcome<unknown>[] | null = null;
          const apply = () =>
            kind.apply(
              unit(effects()),
              run.map((p) => p.bulk!.item),
              fxs.map(unit),
            );
          if (sole) {
            try {
              decided = await apply();
            } catch (err) {
              throw new BulkFailed(err);
            }
          } else {
            await tx.query('SAVEPOINT ks_bulk');
            try {
              decided = await apply();
              await tx.query('RELEASE SAVEPOINT ks_bulk');
            } catch (err) {
              await tx.query('ROLLBACK TO SAVEPOINT ks_bulk');
              await tx.query('RELEASE SAVEPOINT ks_bulk');
              seq = before;
              this.log.debug({ err, size: run.length }, 'stream bulk failed, units run alone');
            }
          }
          if (decided && decided.length !== run.length) {
            throw new Error('a bulk kind must decide every item');
          }
          if (decided) {
            const later: number[] = [];
            decided.forEach((d, k) => {
              if ('alone' in d) {
                outcomes.push({ ok: false, value: null });
                later.push(k);
              } else if (d.ok) {
                keep(fxs[k]!);
                outcomes.push({ ok: true, value: d.value });
              } else outcomes.push({ ok: false, value: d.error });
            });
            for (const k of later) outcomes[i + k] = await runAlone(run[k]!.work);
          } else {
            for (const p of run) outcomes.push(await runAlone(p.work));
          }
          i = j;
        }
        // The batch's audit rows, events and new head go out together.
        await together(
          tx,
          () => this.auditLog.appendMany(tx, audits),
          () => this.insertEvents(tx, rows),
          () =>
            seq !== headSeq
              ? tx.query(
                  `UPDATE stream_head SET seq = ${this.db.kind === 'postgres' ? '$1' : '?1'} WHERE id = 1`,
                  [seq],
                )
              : Promise.resolve(),
        );
        before = headSeq;
        committed = seq;
      });
    } catch (err) {
      this.head = null;
      if (err instanceof BulkFailed) {
        this.log.debug(
          { err: err.cause, size: batch.length },
          'stream bulk failed, units run alone',
        );
        await this.runBatch(batch.map((p) => ({ ...p, bulk: undefined })));
        return;
      }
      this.log.error({ err, size: batch.length }, 'stream batch failed');
      for (const item of batch) item.reject(err);
      return;
    }
    // One writer per process: on SQLite the head is kept between batches (on
    // PostgreSQL it is read in each transaction).
    this.head = this.db.kind === 'sqlite' ? committed : null;
    if (this.known !== null) this.known = committed;
    for (const hook of hooks) hook();
    // Sockets drop a seq at or below one they sent: publish in stream order.
    outgoing.sort((x, y) => x.seq - y.seq);
    if (committed !== before) {
      this.realtime.publishBatch({
        after: before,
        upTo: committed,
        events: outgoing,
        forget: [...changed],
      });
    }
    batch.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(o.value);
    });
  }

  /**
   * The stream head, locked until the batch commits (PostgreSQL): batches of
   * all hub nodes on the database take their positions one after another and
   * commit in position order, so a reader never sees a later position before
   * an earlier one (ADR 0025).
   */
  private async lockHead(tx: EntityManager): Promise<number> {
    if (this.db.kind === 'sqlite') {
      return Number((await tx.findOneByOrFail(StreamHeadEntity, { id: 1 })).seq);
    }
    const rows = await tx.query<{ seq: string | number }[]>(
      'SELECT seq FROM stream_head WHERE id = 1 FOR UPDATE',
    );
    return Number(rows[0]!.seq);
  }

  /** The batch's events in multi-row inserts (statement text built here: no query builder per row). */
  private async insertEvents(tx: EntityManager, rows: readonly StreamEventRow[]): Promise<void> {
    const pg = this.db.kind === 'postgres';
    const per = 150; // 6 parameters a row
    const statements: Step[] = [];
    for (let i = 0; i < rows.length; i += per) {
      const part = rows.slice(i, i + per);
      const params = new Params(pg);
      const tuples = part.map((r) =>
        params.tuple([r.seq, r.conversationId, r.userId, r.type, r.data, r.at]),
      );
      statements.push(() =>
        tx.query(
          `INSERT INTO stream_event (seq, conversation_id, user_id, type, data, at) VALUES ${tuples.join(', ')}`,
          params.values,
        ),
      );
    }
    await together(tx, ...statements);
  }
}
