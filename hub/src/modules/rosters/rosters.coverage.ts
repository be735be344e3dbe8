import type { CoverageQuery, CoverageReport } from '@konsilium/shared';
import type { DutyShiftRow } from './rosters.entity.js';
import type { RolesService } from './rosters.roles.js';
import type { ShiftsService } from './rosters.shifts.js';
import { utc } from './rosters.views.js';

/** The default minimum rest between two shifts of one person (hours). */
export const DEFAULT_MIN_REST_HOURS = 12;

/**
 * Coverage of a period (ROS-5): intervals when a role has nobody, people on
 * two overlapping shifts, and rests shorter than `minRestHours` between
 * consecutive shifts of one person (across roles).
 */
export function coverage(
  roleIds: readonly string[],
  rows: readonly DutyShiftRow[],
  from: string,
  to: string,
  minRestHours: number,
): CoverageReport {
  const f = Date.parse(from);
  const t = Date.parse(to);
  const gaps: CoverageReport['gaps'] = [];
  for (const roleId of roleIds) {
    const spans = rows
      .filter((r) => r.roleId === roleId)
      .map((r) => [Math.max(f, Date.parse(r.startAt)), Math.min(t, Date.parse(r.endAt))] as const)
      .filter(([s, e]) => e > s)
      .sort((a, b) => a[0] - b[0]);
    let covered = f;
    for (const [s, e] of spans) {
      if (s > covered)
        gaps.push({
          roleId,
          start: new Date(covered).toISOString(),
          end: new Date(s).toISOString(),
        });
      covered = Math.max(covered, e);
    }
    if (covered < t)
      gaps.push({ roleId, start: new Date(covered).toISOString(), end: new Date(t).toISOString() });
  }
  const byUser = new Map<string, DutyShiftRow[]>();
  for (const r of rows) byUser.set(r.userId, [...(byUser.get(r.userId) ?? []), r]);
  const doubleBookings: CoverageReport['doubleBookings'] = [];
  const restViolations: CoverageReport['restViolations'] = [];
  const minRestMs = minRestHours * 3600_000;
  for (const [userId, list] of byUser) {
    list.sort((a, b) => a.startAt.localeCompare(b.startAt) || a.endAt.localeCompare(b.endAt));
    for (let i = 0; i < list.length; i++) {
      const a = list[i]!;
      for (let j = i + 1; j < list.length; j++) {
        const b = list[j]!;
        if (b.startAt >= a.endAt) {
          if (j === i + 1) {
            const rest = Date.parse(b.startAt) - Date.parse(a.endAt);
            if (rest < minRestMs && rest >= 0)
              restViolations.push({
                userId,
                previousShiftId: a.id,
                nextShiftId: b.id,
                restHours: Math.round((rest / 3600_000) * 100) / 100,
              });
          }
          break;
        }
        doubleBookings.push({
          userId,
          shiftIds: [a.id, b.id],
          start: b.startAt,
          end: a.endAt < b.endAt ? a.endAt : b.endAt,
        });
      }
    }
  }
  return { from, to, minRestHours, gaps, doubleBookings, restViolations };
}

/** Reads the shifts of a period and reports its coverage. */
export async function coverageReport(
  roles: RolesService,
  shifts: ShiftsService,
  q: CoverageQuery,
): Promise<CoverageReport> {
  let roleIds: string[];
  if (q.roleId) roleIds = [(await roles.row(q.roleId, 'roleId')).id];
  else
    roleIds = [...(await roles.all()).values()]
      .filter((r) => r.active && (!q.unitId || r.unitId === q.unitId))
      .map((r) => r.id);
  const from = utc(q.from);
  const to = utc(q.to);
  const states: DutyShiftRow['state'][] = q.includeDrafts ? ['draft', 'published'] : ['published'];
  // Rest and double bookings look at each person's other roles too, a little beyond the period.
  const mine = await shifts.rows({ roleIds, from, to, states });
  const people = [...new Set(mine.map((r) => r.userId))];
  const margin = 72 * 3600_000;
  const wider = new Date(Date.parse(from) - margin).toISOString();
  const widerTo = new Date(Date.parse(to) + margin).toISOString();
  const theirs: DutyShiftRow[] = [];
  for (const userId of people)
    theirs.push(...(await shifts.rows({ userId, from: wider, to: widerTo, states })));
  const all = new Map([...mine, ...theirs].map((r) => [r.id, r]));
  const report = coverage(
    roleIds,
    [...all.values()],
    from,
    to,
    q.minRestHours ?? DEFAULT_MIN_REST_HOURS,
  );
  // Report only problems that touch the period.
  report.restViolations = report.restViolations.filter(
    (v) => all.get(v.nextShiftId)!.startAt < to && all.get(v.previousShiftId)!.endAt > from,
  );
  report.doubleBookings = report.doubleBookings.filter((d) => d.start < to && d.end > from);
  return report;
}
