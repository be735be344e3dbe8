/**
 * Statements of one transaction that do not depend on each other, sent at
 * once instead of one after another: every answer costs a round trip to the
 * database thread (SQLite) or server (PostgreSQL), and statements sent
 * together share it. On SQLite their order is not fixed, so they must not
 * depend on each other (no foreign key between their rows). Waits for all of
 * them before reporting the first failure, so that nothing still runs when
 * the caller's transaction rolls back.
 */
export async function together(...work: Promise<unknown>[]): Promise<void> {
  const settled = await Promise.allSettled(work);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
}
