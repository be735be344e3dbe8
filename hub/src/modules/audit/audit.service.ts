import type { EntityManager } from 'typeorm';
import { iso, type Clock } from '../../platform/clock.js';
import { AuditHeadEntity, AuditRowEntity } from './audit.entity.js';
import { canonicalJson, rowHash } from './audit.hash.js';

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
   * and read once, the chain is computed here, and the rows go in with one
   * multi-row insert (a messaging batch audits all its units at once).
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
    // back earlier in this transaction cannot leave a stale head behind.
    await tx
      .createQueryBuilder()
      .update(AuditHeadEntity)
      .set({ seq: () => 'seq' })
      .where('id = 1')
      .execute();
    const head = await tx.findOneByOrFail(AuditHeadEntity, { id: 1 });
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
    for (let k = 0; k < rows.length; k += 100) {
      await tx.insert(AuditRowEntity, rows.slice(k, k + 100));
    }
    await tx.update(AuditHeadEntity, { id: 1 }, { seq, hash: prevHash });
    return rows.map((r) => ({ seq: r.seq, hash: r.hash }));
  }
}
