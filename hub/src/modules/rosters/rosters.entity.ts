import { EntitySchema } from 'typeorm';
import type { ShiftSource, ShiftState, SwapState } from '@konsilium/shared';

/*
 * The roster tables (migration 1764600000000-rosters). Times are UTC ISO text
 * (they sort as text); local dates and clock times live only in patterns.
 */

const v = (length: number, nullable = false, name?: string) => ({
  type: 'varchar' as const,
  length,
  nullable,
  ...(name ? { name } : {}),
});
const text = (nullable = false, name?: string) => ({
  type: 'text' as const,
  nullable,
  ...(name ? { name } : {}),
});

/** A duty role scoped to a unit («Дежурный кардиолог (корпус 1)»). */
export interface DutyRoleRow {
  id: string;
  name: string;
  unitId: string;
  /** The unit's IANA zone when the role was made; shifts and patterns are local to it. */
  timeZone: string;
  fallbackKind: 'user' | 'role' | null;
  fallbackId: string | null;
  notes: string | null;
  swapApproval: boolean;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export const DutyRoleEntity = new EntitySchema<DutyRoleRow>({
  name: 'DutyRole',
  tableName: 'duty_role',
  columns: {
    id: { ...v(36), primary: true },
    name: v(200),
    unitId: v(36, false, 'unit_id'),
    timeZone: v(64, false, 'time_zone'),
    fallbackKind: v(8, true, 'fallback_kind'),
    fallbackId: v(36, true, 'fallback_id'),
    notes: text(true),
    swapApproval: { type: 'boolean', name: 'swap_approval', default: false },
    active: { type: 'boolean', default: true },
    createdAt: v(30, false, 'created_at'),
    updatedAt: v(30, false, 'updated_at'),
  },
});

/** One shift of one person in one role. */
export interface DutyShiftRow {
  id: string;
  roleId: string;
  /** Who is on duty, after swaps. */
  userId: string;
  /** Who the roster planned. */
  plannedUserId: string;
  startAt: string;
  endAt: string;
  state: ShiftState;
  source: ShiftSource;
  patternId: string | null;
  /** The pattern's local date this shift stands for (re-expansion updates in place). */
  patternDate: string | null;
  swapId: string | null;
  note: string | null;
  createdAt: string;
  updatedAt: string;
}

export const DutyShiftEntity = new EntitySchema<DutyShiftRow>({
  name: 'DutyShift',
  tableName: 'duty_shift',
  columns: {
    id: { ...v(36), primary: true },
    roleId: v(36, false, 'role_id'),
    userId: v(36, false, 'user_id'),
    plannedUserId: v(36, false, 'planned_user_id'),
    startAt: v(30, false, 'start_at'),
    endAt: v(30, false, 'end_at'),
    state: v(12),
    source: v(12),
    patternId: v(36, true, 'pattern_id'),
    patternDate: v(10, true, 'pattern_date'),
    swapId: v(36, true, 'swap_id'),
    note: v(500, true),
    createdAt: v(30, false, 'created_at'),
    updatedAt: v(30, false, 'updated_at'),
  },
});

/** A recurring pattern; `definition` is its JSON (cycle/week/exceptions). */
export interface DutyPatternRow {
  id: string;
  roleId: string;
  name: string;
  kind: 'cycle' | 'weekly';
  definition: string;
  createdAt: string;
}

export const DutyPatternEntity = new EntitySchema<DutyPatternRow>({
  name: 'DutyPattern',
  tableName: 'duty_pattern',
  columns: {
    id: { ...v(36), primary: true },
    roleId: v(36, false, 'role_id'),
    name: v(200),
    kind: v(8),
    definition: text(),
    createdAt: v(30, false, 'created_at'),
  },
});

/** A swap, give-away or substitution request. */
export interface DutySwapRow {
  id: string;
  kind: 'swap' | 'giveaway' | 'substitution';
  shiftId: string;
  counterShiftId: string | null;
  fromUserId: string;
  toUserId: string;
  state: SwapState;
  needsApproval: boolean;
  requestedBy: string;
  decidedBy: string | null;
  note: string | null;
  createdAt: string;
  updatedAt: string;
}

export const DutySwapEntity = new EntitySchema<DutySwapRow>({
  name: 'DutySwap',
  tableName: 'duty_swap',
  columns: {
    id: { ...v(36), primary: true },
    kind: v(16),
    shiftId: v(36, false, 'shift_id'),
    counterShiftId: v(36, true, 'counter_shift_id'),
    fromUserId: v(36, false, 'from_user_id'),
    toUserId: v(36, false, 'to_user_id'),
    state: v(12),
    needsApproval: { type: 'boolean', name: 'needs_approval', default: false },
    requestedBy: v(36, false, 'requested_by'),
    decidedBy: v(36, true, 'decided_by'),
    note: v(500, true),
    createdAt: v(30, false, 'created_at'),
    updatedAt: v(30, false, 'updated_at'),
  },
});

/** A calendar feed link; only the SHA-256 of its token is stored. */
export interface RosterCalendarRow {
  id: string;
  subjectKind: 'role' | 'user';
  subjectId: string;
  tokenHash: string;
  createdAt: string;
  revokedAt: string | null;
}

export const RosterCalendarEntity = new EntitySchema<RosterCalendarRow>({
  name: 'RosterCalendar',
  tableName: 'roster_calendar',
  columns: {
    id: { ...v(36), primary: true },
    subjectKind: v(8, false, 'subject_kind'),
    subjectId: v(36, false, 'subject_id'),
    tokenHash: v(64, false, 'token_hash'),
    createdAt: v(30, false, 'created_at'),
    revokedAt: v(30, true, 'revoked_at'),
  },
});

/** A static or dynamic team; lists are JSON arrays of ids. */
export interface RosterTeamRow {
  id: string;
  name: string;
  kind: 'static' | 'dynamic';
  memberIds: string;
  roleIds: string;
  unitId: string | null;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export const RosterTeamEntity = new EntitySchema<RosterTeamRow>({
  name: 'RosterTeam',
  tableName: 'roster_team',
  columns: {
    id: { ...v(36), primary: true },
    name: v(200),
    kind: v(8),
    memberIds: text(false, 'member_ids'),
    roleIds: text(false, 'role_ids'),
    unitId: v(36, true, 'unit_id'),
    active: { type: 'boolean', default: true },
    createdAt: v(30, false, 'created_at'),
    updatedAt: v(30, false, 'updated_at'),
  },
});

/** A manual presence status; it always ends. */
export interface PresenceRow {
  userId: string;
  status: 'available' | 'busy' | 'dnd' | 'off_duty';
  until: string;
  delegateId: string | null;
  note: string | null;
  setAt: string;
}

export const PresenceEntity = new EntitySchema<PresenceRow>({
  name: 'Presence',
  tableName: 'presence_status',
  columns: {
    userId: { ...v(36, false, 'user_id'), primary: true },
    status: v(12),
    until: v(30),
    delegateId: v(36, true, 'delegate_id'),
    note: v(200, true),
    setAt: v(30, false, 'set_at'),
  },
});

export const ROSTERS_ENTITIES = [
  DutyRoleEntity,
  DutyShiftEntity,
  DutyPatternEntity,
  DutySwapEntity,
  RosterCalendarEntity,
  RosterTeamEntity,
  PresenceEntity,
];
