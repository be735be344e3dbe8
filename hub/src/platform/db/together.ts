import type { EntityManager } from 'typeorm';

/** A statement (or a few) of a transaction, started when called. */
export type Step = () => Promise<unknown>;

/**
 * Statements of one transaction that do not depend on each other. On SQLite
 * they are sent at once instead of one after another: every answer costs a
 * round trip to the database thread, and statements sent together share it
 * (their order is not fixed, so there must be no foreign key between their
 * rows). On PostgreSQL a connection runs one query at a time: they run in
 * turn. Waits for all of them before reporting the first failure, so that
 * nothing still runs when the caller's transaction rolls back.
 */
export async function together(tx: EntityManager, ...work: Step[]): Promise<void> {
  if (tx.connection.options.type === 'postgres') {
    for (const w of work) await w();
    return;
  }
  const settled = await Promise.allSettled(work.map((w) => w()));
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
}
