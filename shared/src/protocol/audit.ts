import { z } from 'zod';
import { Id, IsoTime } from './common.js';

/** `GET /api/v1/audit` (auditor, admin). */
export const AuditQuery = z
  .object({
    actorId: Id.optional(),
    targetType: z.string().max(64).optional(),
    targetId: z.string().max(200).optional(),
    action: z.string().max(64).optional(),
    from: IsoTime.optional(),
    to: IsoTime.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    before: z.coerce.number().int().min(1).optional(),
  })
  .strict();
export type AuditQuery = z.infer<typeof AuditQuery>;

export interface AuditRowView {
  seq: number;
  at: string;
  actorId: string | null;
  deviceId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: 'success' | 'failure' | 'denied';
  details: Record<string, unknown>;
  requestId: string | null;
  hash: string;
}
