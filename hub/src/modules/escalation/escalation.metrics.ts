import { And, In, LessThan, MoreThanOrEqual } from 'typeorm';
import type { Database } from '../../platform/db/database.js';
import { EscalationEntity, TimelineEntity } from './escalation.entity.js';

/**
 * Escalation numbers for the metrics endpoint (ADM-1): escalations started in
 * [from, to) (of these units, or all), by state, and the step index at which
 * the acknowledged ones were acknowledged (their first `acknowledged` entry).
 */
export async function escalationSummary(
  db: Database,
  q: { from: string; to: string; unitIds: string[] | null },
): Promise<{
  started: number;
  acknowledged: number;
  open: number;
  cancelled: number;
  acknowledgedAtStep: { step: number; count: number }[];
}> {
  const rows = (
    await db.manager.find(EscalationEntity, {
      select: { id: true, state: true, unitId: true },
      where: { createdAt: And(MoreThanOrEqual(q.from), LessThan(q.to)) },
    })
  ).filter((r) => !q.unitIds || (r.unitId !== null && q.unitIds.includes(r.unitId)));
  const count = (state: string) => rows.filter((r) => r.state === state).length;
  const acked = rows.filter((r) => r.state === 'acknowledged').map((r) => r.id);
  const steps = new Map<number, number>();
  for (let i = 0; i < acked.length; i += 500) {
    const entries = await db.manager.find(TimelineEntity, {
      where: { escalationId: In(acked.slice(i, i + 500)), type: 'acknowledged' },
      order: { seq: 'ASC' },
    });
    const seen = new Set<string>();
    for (const e of entries) {
      if (seen.has(e.escalationId)) continue;
      seen.add(e.escalationId);
      const step = (JSON.parse(e.entry) as { step?: number }).step ?? 0;
      steps.set(step, (steps.get(step) ?? 0) + 1);
    }
  }
  return {
    started: rows.length,
    acknowledged: acked.length,
    open: count('open'),
    cancelled: count('cancelled'),
    acknowledgedAtStep: [...steps]
      .sort(([a], [b]) => a - b)
      .map(([step, n]) => ({ step, count: n })),
  };
}
