import type { EntityManager } from 'typeorm';
import { iso, type Clock } from '../../platform/clock.js';
import { Params } from '../../platform/db/params.js';
import { together, type Step } from '../../platform/db/together.js';
import { canonicalJson, rowHash } from './audit.hash.js';

/** Columns of `audit_log` in insert order (see AuditRowEntity). */
const AUDIT_COLUMNS = [
  'seq',
  'at',
  'actor_id',
  'device_id',
  'action',
  'target_type',
  'target_id',
  'outcome',
  'details',
  'request_id',
  'prev_hash',
  'hash',
] as const;
/** 12 parameters a row: well under SQLite's and PostgreSQL's parameter limits. */
const ROWS_PER_INSERT = 80;

export type AuditOutcome = 'success' | 'failure' | 'denied';

/**
 * What happened, by whom, to what. `details` must never hold message bodies,
 * patient names or secrets: ids, codes and counts only.
 */
export interface AuditEntry {
  action: string;
  outcome?: AuditOutcome;
  actorId?: string | null;
  deviceId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  details?: Record<string, unknown>;
  requestId?: string | null;
}

/**
 * Appends to the audit log inside the caller's transaction, so the change and
 * its record commit together (if the row cannot be written, the change fails).
 * The single `audit_head` row is updated first: on PostgreSQL its row lock
 * serializes concurrent appenders; on SQLite writes are serialized anyway.
 */
export class AuditLog {
  constructor(private readonly clock: Clock) {}

  /** Appends one row; see {@link appendMany}. */
  async append(tx: EntityManager, entry: AuditEntry): Promise<{ seq: number; hash: string }> {
    const [row] = await this.appendMany(tx, [entry]);
    return row!;
  }

  /**
   * Appends rows in order inside the caller's transaction: the head is locked
   * and read once, the chain is computed here, and the rows go in with
   * multi-row inserts sent together with the new head (a messaging batch
   * audits all its units at once).
   */
  async appendMany(
    tx: EntityManager,
    entries: readonly AuditEntry[],
  ): Promise<{ seq: number; hash: string }[]> {
    if (!tx.queryRunner?.isTransactionActive) {
      throw new Error('audit rows are written only inside the transaction of their change');
    }
    if (entries.length === 0) return [];
    // Lock, then read: appenders serialize on PostgreSQL, and a savepoint rolled
    // back earlier in this transaction cannot leave a stale head behind. Plain
    // statements: a batch of a few hundred rows through the query builder cost
    // more CPU than computing their hash chain.
    const pg = tx.connection.options.type === 'postgres';
    let head: { seq: string | number; hash: string } | undefined;
    if (pg) {
      [head] = await tx.query<{ seq: string; hash: string }[]>(
        'SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE',
      );
    } else {
      // Takes the write lock and reads the head in one round trip (the
      // leading comment makes the driver collect the rows of an UPDATE).
      [head] = await tx.query<{ seq: number; hash: string }[]>(
        '/* head */ UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash',
      );
    }
    if (!head) throw new Error('audit_head is missing');
    let seq = Number(head.seq);
    let prevHash = head.hash;
    const at = iso(this.clock.now());
    const rows = entries.map((entry) => {
      const fields = {
        seq: ++seq,
        at,
        actorId: entry.actorId ?? null,
        deviceId: entry.deviceId ?? null,
        action: entry.action,
        targetType: entry.targetType ?? null,
        targetId: entry.targetId ?? null,
        outcome: entry.outcome ?? 'success',
        details: canonicalJson(entry.details ?? {}),
        requestId: entry.requestId ?? null,
        prevHash,
      };
      prevHash = rowHash(fields);
      return { ...fields, hash: prevHash };
    });
    // The rows and the new head go out together (no foreign key between them).
    const writes: Step[] = [];
    for (let k = 0; k < rows.length; k += ROWS_PER_INSERT) {
      const params = new Params(pg);
      const tuples = rows
        .slice(k, k + ROWS_PER_INSERT)
        .map((r) =>
          params.tuple([
            r.seq,
            r.at,
            r.actorId,
            r.deviceId,
            r.action,
            r.targetType,
            r.targetId,
            r.outcome,
            r.details,
            r.requestId,
            r.prevHash,
            r.hash,
          ]),
        );
      writes.push(() =>
        tx.query(
          `INSERT INTO audit_log (${AUDIT_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`,
          params.values,
        ),
      );
    }
    const p = (n: number) => (pg ? `$${n}` : `?${n}`);
    writes.push(() =>
      tx.query(`UPDATE audit_head SET seq = ${p(1)}, hash = ${p(2)} WHERE id = 1`, [seq, prevHash]),
    );
    await together(tx, ...writes);
    return rows.map((r) => ({ seq: r.seq, hash: r.hash }));
  }
}
