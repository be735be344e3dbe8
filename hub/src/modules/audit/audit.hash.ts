import { createHash } from 'node:crypto';

/** The hash that stands before the first row. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields a row's hash covers, in their stored form. */
export interface HashedFields {
  seq: number;
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
}

/**
 * SHA-256 over the canonical content of a row plus the previous row's hash:
 * a JSON array in fixed field order, so the encoding never depends on key order.
 */
export function rowHash(f: HashedFields): string {
  const canonical = JSON.stringify([
    f.seq,
    f.at,
    f.actorId,
    f.deviceId,
    f.action,
    f.targetType,
    f.targetId,
    f.outcome,
    f.details,
    f.requestId,
    f.prevHash,
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** JSON with object keys sorted, so equal details always store (and hash) alike. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
          a < b ? -1 : a > b ? 1 : 0,
        ),
      );
    }
    return v;
  });
}
