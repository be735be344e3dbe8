import { DateTime } from 'luxon';
import type { DutyRoleView, PatternView, ShiftView, SwapView, TeamView } from '@konsilium/shared';
import type {
  DutyPatternRow,
  DutyRoleRow,
  DutyShiftRow,
  DutySwapRow,
  RosterTeamRow,
} from './rosters.entity.js';

export function roleView(r: DutyRoleRow): DutyRoleView {
  return {
    id: r.id,
    name: r.name,
    unitId: r.unitId,
    timeZone: r.timeZone,
    fallback: r.fallbackKind && r.fallbackId ? { kind: r.fallbackKind, id: r.fallbackId } : null,
    notes: r.notes,
    swapApproval: r.swapApproval,
    active: r.active,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/**
 * The kind of a shift from its local start and length in the unit's zone:
 * «сутки» last about a day; a night shift starts in the evening and crosses
 * midnight; a day shift starts in the morning and ends the same day.
 */
export function shiftKind(startIso: string, endIso: string, zone: string): ShiftView['kind'] {
  const start = DateTime.fromISO(startIso, { zone });
  const end = DateTime.fromISO(endIso, { zone });
  const hours = end.diff(start, 'hours').hours;
  if (hours >= 23 && hours <= 25) return 'day24';
  const crosses = !start.hasSame(end.minus({ milliseconds: 1 }), 'day');
  if (crosses && (start.hour >= 15 || start.hour < 3) && hours <= 16) return 'night';
  if (!crosses && start.hour >= 5 && start.hour < 13) return 'day';
  return 'other';
}

export function shiftView(r: DutyShiftRow, zone: string): ShiftView {
  return {
    id: r.id,
    roleId: r.roleId,
    userId: r.userId,
    plannedUserId: r.plannedUserId,
    start: r.startAt,
    end: r.endAt,
    kind: shiftKind(r.startAt, r.endAt, zone),
    state: r.state,
    source: r.source,
    patternId: r.patternId,
    swapId: r.swapId,
    note: r.note,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export function patternView(r: DutyPatternRow): PatternView {
  const d = JSON.parse(r.definition) as Omit<
    PatternView,
    'id' | 'roleId' | 'name' | 'kind' | 'createdAt'
  >;
  return { id: r.id, roleId: r.roleId, name: r.name, kind: r.kind, ...d, createdAt: r.createdAt };
}

export function swapView(r: DutySwapRow): SwapView {
  return {
    id: r.id,
    kind: r.kind,
    shiftId: r.shiftId,
    counterShiftId: r.counterShiftId,
    fromUserId: r.fromUserId,
    toUserId: r.toUserId,
    state: r.state,
    needsApproval: r.needsApproval,
    requestedBy: r.requestedBy,
    decidedBy: r.decidedBy,
    note: r.note,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export function teamView(r: RosterTeamRow): TeamView {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    memberIds: JSON.parse(r.memberIds) as string[],
    roleIds: JSON.parse(r.roleIds) as string[],
    unitId: r.unitId,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** UTC ISO with milliseconds (the stored form) of any ISO 8601 time with an offset. */
export function utc(isoWithOffset: string): string {
  return new Date(Date.parse(isoWithOffset)).toISOString();
}
