import { EntitySchema } from 'typeorm';

/** One row of the append-only, hash-chained audit log (LEG-1, invariant 4). */
export interface AuditRow {
  seq: string | number;
  at: string;
  actorId: string | null;
  deviceId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: string;
  details: string;
  requestId: string | null;
  prevHash: string;
  hash: string;
}

export const AuditRowEntity = new EntitySchema<AuditRow>({
  name: 'AuditRow',
  tableName: 'audit_log',
  columns: {
    seq: { type: 'bigint', primary: true },
    at: { type: 'varchar', length: 30 },
    actorId: { name: 'actor_id', type: 'varchar', length: 36, nullable: true },
    deviceId: { name: 'device_id', type: 'varchar', length: 36, nullable: true },
    action: { type: 'varchar', length: 64 },
    targetType: { name: 'target_type', type: 'varchar', length: 64, nullable: true },
    targetId: { name: 'target_id', type: 'varchar', length: 200, nullable: true },
    outcome: { type: 'varchar', length: 16 },
    details: { type: 'text' },
    requestId: { name: 'request_id', type: 'varchar', length: 36, nullable: true },
    prevHash: { name: 'prev_hash', type: 'varchar', length: 64 },
    hash: { type: 'varchar', length: 64 },
  },
});

export interface AuditHead {
  id: number;
  seq: string | number;
  hash: string;
}

export const AuditHeadEntity = new EntitySchema<AuditHead>({
  name: 'AuditHead',
  tableName: 'audit_head',
  columns: {
    id: { type: 'integer', primary: true },
    seq: { type: 'bigint' },
    hash: { type: 'varchar', length: 64 },
  },
});
