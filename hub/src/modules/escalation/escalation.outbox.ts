import { randomUUID } from 'node:crypto';
import { In, Not, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { iso, type Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import { insertMany } from '../../platform/db/insert-many.js';
import type { Logger } from '../../platform/log/logger.js';
import { OutboxEntity, type OutboxRow, type OutboxState } from './escalation.entity.js';

/** How long a claim on a pending send holds without being renewed (ms of the hub's clock). */
export const OUTBOX_LEASE_MS = 60_000;
/** How often a node renews the claims of the sends it is making (real ms). */
export const OUTBOX_RENEW_MS = 20_000;
/** How often a node looks for pending sends whose claim ran out (real ms). */
export const OUTBOX_SWEEP_MS = 30_000;
/**
 * How long finished rows are kept (ms of the hub's clock): the outcome lives
 * on in the timeline and the audit log; the row is only the send's bookkeeping.
 */
export const OUTBOX_KEEP_MS = 7 * 24 * 3600_000;
/** Finished rows removed per sweep at most. */
const PURGE_BATCH = 1000;
/** Claims after which a send that keeps being interrupted is given up as failed. */
export const OUTBOX_MAX_ATTEMPTS = 5;

/** The stored parts of a send, validated when read back. */
const Stored = z.object({
  channel: z.enum(['email', 'sms']),
  userIds: z.array(z.string().min(1).max(36)).min(1).max(10_000),
});

/** A claimed pending send, its stored parts checked. */
export interface ClaimedSend {
  row: OutboxRow;
  /** The channel and the user ids to reach, or null when the stored row is unreadable. */
  stored: z.infer<typeof Stored> | null;
}

/**
 * The outbox of external sends (ADR 0021, 2026-11-28). An `external` step
 * writes a pending row in its own transaction, claimed by this node for a
 * lease; the send runs after the commit and its outcome marks the row in the
 * transaction that writes the timeline line. A row still pending after its
 * claim ran out (the node died mid-send) is claimed by whichever node looks
 * first, with a conditional update, so only one of them sends it again.
 */
export class ExternalOutbox {
  /** This process: claims name it, so a finish only counts for the claim it holds. */
  readonly node = randomUUID();
  /** Rows this process is sending now (never claimed twice by one process). */
  private readonly sending = new Set<string>();
  private sweeper: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;

  constructor(
    private readonly d: {
      db: Database;
      clock: Clock;
      log: Logger;
      /** Sends a claimed row and writes its outcome (the engine). */
      send: (claimed: ClaimedSend) => Promise<void>;
      /** Keeps a send's promise until it settles (the engine's `settled` waits for it). */
      track: (work: Promise<void>) => void;
    },
  ) {}

  /** A pending row for a step's send, claimed by this node (write it in the step's transaction). */
  create(x: { escalationId: string; step: number; channel: 'email' | 'sms'; userIds: string[] }) {
    const now = this.d.clock.now();
    const row: OutboxRow = {
      id: randomUUID(),
      escalationId: x.escalationId,
      step: x.step,
      channel: x.channel,
      targets: JSON.stringify(x.userIds),
      state: 'pending',
      attempts: 1,
      claimedBy: this.node,
      claimedUntil: iso(new Date(now.getTime() + OUTBOX_LEASE_MS)),
      createdAt: iso(now),
      doneAt: null,
    };
    return row;
  }

  write(tx: EntityManager, rows: readonly OutboxRow[]): Promise<void> {
    return insertMany(tx, OutboxEntity, rows);
  }

  /** A row this node wrote, once its transaction committed: sent now. */
  sendOwn(row: OutboxRow): void {
    this.sending.add(row.id);
    this.d.track(this.run({ row, stored: readStored(row) }));
  }

  /**
   * Hub start: the pending sends a stopped or crashed hub left. On SQLite
   * only one hub uses the file, so every pending row is this hub's to send,
   * claimed or not; on PostgreSQL a row still claimed by a live node's lease
   * is left to it (the sweep takes it if the lease runs out). Then a sweep
   * runs every {@link OUTBOX_SWEEP_MS}.
   */
  async start(): Promise<void> {
    await this.sweep(this.d.db.kind === 'sqlite');
    this.sweeper = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.sweep(false)
        .then(() => this.purge())
        .then(() => undefined)
        .catch((err: unknown) => this.d.log.error({ err }, 'escalation outbox sweep failed'))
        .finally(() => (this.sweeping = null));
    }, OUTBOX_SWEEP_MS);
    this.sweeper.unref();
  }

  /** Stops looking for pending sends (sends in progress finish; the engine waits for them). */
  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    await this.sweeping;
  }

  /**
   * Claims the pending rows no live claim holds (every pending row when
   * `ignoreLeases`) and starts sending each; resolves once they are claimed.
   * Returns how many this call claimed.
   */
  async sweep(ignoreLeases = false): Promise<number> {
    const now = iso(this.d.clock.now());
    const qb = this.d.db.manager
      .createQueryBuilder(OutboxEntity, 'o')
      .select('o.id', 'id')
      .where('o.state = :state', { state: 'pending' })
      .orderBy('o.created_at', 'ASC')
      .limit(500);
    if (!ignoreLeases) qb.andWhere('(o.claimed_until IS NULL OR o.claimed_until < :now)', { now });
    const ids = (await qb.getRawMany<{ id: string }>()).map((r) => r.id);
    let claimed = 0;
    for (const id of ids) {
      if (this.sending.has(id)) continue;
      this.sending.add(id);
      const row = await this.claim(id, ignoreLeases).catch((err: unknown) => {
        this.d.log.error({ err, outboxId: id }, 'escalation outbox claim failed');
        return null;
      });
      if (!row) {
        this.sending.delete(id);
        continue;
      }
      claimed += 1;
      this.d.log.warn(
        { outboxId: id, escalationId: row.escalationId, attempts: row.attempts },
        'escalation external send taken over from an interrupted one',
      );
      this.d.track(this.run({ row, stored: readStored(row) }));
    }
    return claimed;
  }

  /** Removes finished rows older than {@link OUTBOX_KEEP_MS}; returns how many. */
  async purge(): Promise<number> {
    const before = iso(new Date(this.d.clock.now().getTime() - OUTBOX_KEEP_MS));
    const old = await this.d.db.manager
      .createQueryBuilder(OutboxEntity, 'o')
      .select('o.id', 'id')
      .where('o.state IN (:...done)', { done: ['sent', 'failed', 'skipped'] })
      .andWhere('o.done_at < :before', { before })
      .limit(PURGE_BATCH)
      .getRawMany<{ id: string }>();
    if (old.length === 0) return 0;
    await this.d.db.transaction((tx) =>
      tx.delete(OutboxEntity, { id: In(old.map((r) => r.id)), state: Not('pending') }),
    );
    return old.length;
  }

  /** The conditional update that makes this node the only sender of a pending row. */
  private async claim(id: string, ignoreLease: boolean): Promise<OutboxRow | null> {
    return this.d.db.transaction(async (tx) => {
      const now = this.d.clock.now();
      const qb = tx
        .createQueryBuilder()
        .update(OutboxEntity)
        .set({
          claimedBy: this.node,
          claimedUntil: iso(new Date(now.getTime() + OUTBOX_LEASE_MS)),
          attempts: () => 'attempts + 1',
        })
        .where('id = :id AND state = :state', { id, state: 'pending' });
      if (!ignoreLease)
        qb.andWhere('(claimed_until IS NULL OR claimed_until < :now)', { now: iso(now) });
      const res = await qb.execute();
      if (res.affected !== 1) return null;
      return tx.findOneByOrFail(OutboxEntity, { id });
    });
  }

  /**
   * Marks a row this node holds with its outcome, in the transaction that
   * writes the outcome's timeline lines. False when the row is no longer
   * this node's (its claim ran out and another node took it, or finished
   * it): then the caller writes nothing, so one outcome is written per row.
   */
  async finish(tx: EntityManager, id: string, state: Exclude<OutboxState, 'pending'>) {
    const res = await tx
      .createQueryBuilder()
      .update(OutboxEntity)
      .set({ state, doneAt: iso(this.d.clock.now()), claimedUntil: null })
      .where('id = :id AND state = :pending AND claimed_by = :node', {
        id,
        pending: 'pending',
        node: this.node,
      })
      .execute();
    return res.affected === 1;
  }

  /** Sends a claimed row, renewing the claim while the send lasts. */
  private async run(claimed: ClaimedSend): Promise<void> {
    const { id } = claimed.row;
    const renew = setInterval(() => {
      const until = iso(new Date(this.d.clock.now().getTime() + OUTBOX_LEASE_MS));
      void this.d.db
        .transaction((tx) =>
          tx.update(
            OutboxEntity,
            { id, state: 'pending', claimedBy: this.node },
            { claimedUntil: until },
          ),
        )
        .catch((err: unknown) => this.d.log.warn({ err, outboxId: id }, 'claim not renewed'));
    }, OUTBOX_RENEW_MS);
    renew.unref();
    try {
      await this.d.send(claimed);
    } finally {
      clearInterval(renew);
      this.sending.delete(id);
    }
  }
}

function readStored(row: OutboxRow): ClaimedSend['stored'] {
  try {
    const userIds: unknown = JSON.parse(row.targets);
    const parsed = Stored.safeParse({ channel: row.channel, userIds });
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
