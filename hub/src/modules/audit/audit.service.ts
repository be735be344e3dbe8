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

  async append(tx: EntityManager, entry: AuditEntry): Promise<{ seq: number; hash: string }> {
    if (!tx.queryRunner?.isTransactionActive) {
      throw new Error('audit rows are written only inside the transaction of their change');
    }
    // Lock, then read, on every append: appenders serialize on PostgreSQL, and a
    // savepoint rolled back inside this transaction (which also drops its row
    // locks) cannot leave a stale head behind.
    await tx
      .createQueryBuilder()
      .update(AuditHeadEntity)
      .set({ seq: () => 'seq' })
      .where('id = 1')
      .execute();
    const row = await tx.findOneByOrFail(AuditHeadEntity, { id: 1 });
    const head = { seq: Number(row.seq), hash: row.hash };
    const fields = {
      seq: head.seq + 1,
      at: iso(this.clock.now()),
      actorId: entry.actorId ?? null,
      deviceId: entry.deviceId ?? null,
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      outcome: entry.outcome ?? 'success',
      details: canonicalJson(entry.details ?? {}),
      requestId: entry.requestId ?? null,
      prevHash: head.hash,
    };
    const hash = rowHash(fields);
    await tx.insert(AuditRowEntity, { ...fields, hash });
    await tx.update(AuditHeadEntity, { id: 1 }, { seq: fields.seq, hash });
    return { seq: fields.seq, hash };
  }
}
