import { z } from 'zod';
import { Id, IsoTime, Text } from './protocol/common.js';

/*
 * Duty rosters, on-call, teams and presence (ROS-1..5, RTE-2, INB-3, DIR-5).
 * Times on the wire are ISO 8601 with an offset; local dates and clock times
 * of patterns are in the time zone of the role's unit.
 */

/** A local calendar date `YYYY-MM-DD`. */
export const LocalDate = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'must be a date YYYY-MM-DD');

/** A local clock time `HH:mm`. */
export const LocalTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time HH:mm (24-hour)');

/** Where a duty role's calls go when nobody covers it: a person or another role. */
export const RosterFallback = z.object({ kind: z.enum(['user', 'role']), id: Id }).strict();
export type RosterFallback = z.infer<typeof RosterFallback>;

/** `POST /api/v1/rosters/roles` (coordinator). */
export const CreateDutyRoleRequest = z
  .object({
    name: Text(200),
    unitId: Id,
    fallback: RosterFallback.nullish(),
    notes: Text(2000).nullish(),
    /** Swaps and give-aways need a coordinator's approval after the colleague accepts. */
    swapApproval: z.boolean().optional(),
  })
  .strict();
export type CreateDutyRoleRequest = z.infer<typeof CreateDutyRoleRequest>;

/** `PATCH /api/v1/rosters/roles/{id}` (coordinator). */
export const UpdateDutyRoleRequest = z
  .object({
    name: Text(200).optional(),
    fallback: RosterFallback.nullable().optional(),
    notes: Text(2000).nullable().optional(),
    swapApproval: z.boolean().optional(),
    active: z.boolean().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'nothing to change');
export type UpdateDutyRoleRequest = z.infer<typeof UpdateDutyRoleRequest>;

export interface DutyRoleView {
  id: string;
  name: string;
  unitId: string;
  timeZone: string;
  fallback: RosterFallback | null;
  notes: string | null;
  swapApproval: boolean;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

const ShiftTimes = {
  start: IsoTime,
  end: IsoTime,
};

/** `POST /api/v1/rosters/shifts` (coordinator); without `draft: true` the shift is published at once. */
export const CreateShiftRequest = z
  .object({
    roleId: Id,
    userId: Id,
    ...ShiftTimes,
    draft: z.boolean().optional(),
    note: Text(500).nullish(),
  })
  .strict()
  .refine((v) => Date.parse(v.end) > Date.parse(v.start), {
    message: 'must be after start',
    path: ['end'],
  })
  .refine((v) => Date.parse(v.end) - Date.parse(v.start) <= 72 * 3600_000, {
    message: 'a shift lasts at most 72 hours',
    path: ['end'],
  });
export type CreateShiftRequest = z.infer<typeof CreateShiftRequest>;

/** `PATCH /api/v1/rosters/shifts/{id}` (coordinator): times, note, or the planned person. */
export const UpdateShiftRequest = z
  .object({
    start: IsoTime.optional(),
    end: IsoTime.optional(),
    userId: Id.optional(),
    note: Text(500).nullable().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'nothing to change');
export type UpdateShiftRequest = z.infer<typeof UpdateShiftRequest>;

export const SHIFT_STATES = ['draft', 'published', 'cancelled'] as const;
export type ShiftState = (typeof SHIFT_STATES)[number];

/** Where a shift came from. `takeover`: an emergency take-over, which overrides others while it lasts. */
export const SHIFT_SOURCES = ['manual', 'pattern', 'import', 'takeover'] as const;
export type ShiftSource = (typeof SHIFT_SOURCES)[number];

export interface ShiftView {
  id: string;
  roleId: string;
  /** Who is on duty (after swaps and substitutions). */
  userId: string;
  /** Who the roster planned; differs from `userId` after a swap. */
  plannedUserId: string;
  start: string;
  end: string;
  /** `day`, `night`, `day24` («сутки») or `other`, from the local start and length. */
  kind: 'day' | 'night' | 'day24' | 'other';
  state: ShiftState;
  source: ShiftSource;
  patternId: string | null;
  /** The swap that put `userId` on this shift, if any. */
  swapId: string | null;
  note: string | null;
  createdAt: string;
  updatedAt: string;
}

/** `GET /api/v1/rosters/shifts`. */
export const ListShiftsQuery = z
  .object({
    roleId: Id.optional(),
    userId: Id.optional(),
    from: IsoTime,
    to: IsoTime,
    state: z.enum(SHIFT_STATES).optional(),
  })
  .strict()
  .refine((v) => Date.parse(v.to) > Date.parse(v.from), {
    message: 'must be after from',
    path: ['to'],
  })
  .refine((v) => Date.parse(v.to) - Date.parse(v.from) <= 400 * 86400_000, {
    message: 'at most 400 days',
    path: ['to'],
  });
export type ListShiftsQuery = z.infer<typeof ListShiftsQuery>;

/** `POST /api/v1/rosters/publish` (coordinator): publishes the drafts of a role in a period. */
export const PublishRequest = z
  .object({ roleId: Id, from: IsoTime, to: IsoTime })
  .strict()
  .refine((v) => Date.parse(v.to) > Date.parse(v.from), {
    message: 'must be after from',
    path: ['to'],
  });
export type PublishRequest = z.infer<typeof PublishRequest>;

/** `GET /api/v1/oncall?roleId=&at=`. */
export const OnCallQuery = z.object({ roleId: Id, at: IsoTime.optional() }).strict();
export type OnCallQuery = z.infer<typeof OnCallQuery>;

/** Why someone answers for a role at a time. */
export type OnCallSource = 'shift' | 'swap' | 'takeover' | 'fallback' | 'none';

export interface OnCallPerson {
  id: string;
  fullName: string;
  /** The shift (of the asked role, or of the fallback role) that puts them on call. */
  shiftId: string | null;
  /** Until when they are on call (null for a fallback person). */
  until: string | null;
  /** How they got there. */
  via: 'shift' | 'swap' | 'takeover' | 'fallback-user';
}

/** `GET /api/v1/oncall` answer; a gap answers with the fallback, never a silent empty list. */
export interface OnCallView {
  roleId: string;
  at: string;
  people: OnCallPerson[];
  source: OnCallSource;
  /** The roles followed, asked role first (more than one when a gap fell back to another role). */
  chain: string[];
  /** Set when `people` is empty or came from a fallback: why. */
  reason?: 'gap' | 'no-fallback' | 'fallback-cycle' | 'fallback-inactive';
  notes: string | null;
}

/** A recurring pattern (`cycle`: day d of the cycle goes to `userIds[d mod length]`, null = no shift). */
export const CreatePatternRequest = z
  .object({
    roleId: Id,
    name: Text(200),
    kind: z.enum(['cycle', 'weekly']),
    /** The first day of the cycle (local date in the unit's zone). */
    anchorDate: LocalDate,
    /** Local start time of each shift. */
    startTime: LocalTime,
    /** Length of each shift in hours (24 for «сутки»). */
    hours: z.number().int().min(1).max(48),
    /** `cycle`: one entry per day of the cycle («сутки через трое»: `[A, null, null, null]`). */
    cycle: z.array(Id.nullable()).min(1).max(62).optional(),
    /** `weekly`: who works each ISO weekday (1 = Monday). */
    week: z
      .array(z.object({ weekday: z.number().int().min(1).max(7), userId: Id }).strict())
      .min(1)
      .max(14)
      .optional(),
    /** Dates that differ: `userId` null skips the day, otherwise replaces the person. */
    exceptions: z
      .array(z.object({ date: LocalDate, userId: Id.nullable() }).strict())
      .max(366)
      .optional(),
  })
  .strict()
  .refine((v) => (v.kind === 'cycle' ? !!v.cycle && !v.week : !!v.week && !v.cycle), {
    message: 'a cycle pattern needs `cycle`, a weekly one `week`',
    path: ['kind'],
  });
export type CreatePatternRequest = z.infer<typeof CreatePatternRequest>;

export interface PatternView {
  id: string;
  roleId: string;
  name: string;
  kind: 'cycle' | 'weekly';
  anchorDate: string;
  startTime: string;
  hours: number;
  cycle: (string | null)[] | null;
  week: { weekday: number; userId: string }[] | null;
  exceptions: { date: string; userId: string | null }[];
  createdAt: string;
}

/** `POST /api/v1/rosters/patterns/{id}/expand`: shifts for local dates `from`..`to` (inclusive). */
export const ExpandPatternRequest = z
  .object({ from: LocalDate, to: LocalDate, publish: z.boolean().optional() })
  .strict()
  .refine((v) => v.to >= v.from, { message: 'must not be before from', path: ['to'] })
  .refine((v) => Date.parse(v.to) - Date.parse(v.from) <= 400 * 86400_000, {
    message: 'at most 400 days',
    path: ['to'],
  });
export type ExpandPatternRequest = z.infer<typeof ExpandPatternRequest>;

export const SWAP_KINDS = ['swap', 'giveaway', 'substitution'] as const;
export const SWAP_STATES = [
  'requested',
  'accepted',
  'applied',
  'declined',
  'rejected',
  'cancelled',
] as const;
export type SwapState = (typeof SWAP_STATES)[number];

/**
 * `POST /api/v1/rosters/swaps`: `giveaway`/`substitution` hand `shiftId` to
 * `toUserId`; `swap` also hands `counterShiftId` (of `toUserId`) back.
 */
export const CreateSwapRequest = z
  .object({
    kind: z.enum(SWAP_KINDS),
    shiftId: Id,
    toUserId: Id,
    counterShiftId: Id.optional(),
    note: Text(500).nullish(),
  })
  .strict()
  .refine((v) => (v.kind === 'swap') === (v.counterShiftId !== undefined), {
    message: 'a swap needs counterShiftId; other kinds must not have it',
    path: ['counterShiftId'],
  });
export type CreateSwapRequest = z.infer<typeof CreateSwapRequest>;

export interface SwapView {
  id: string;
  kind: (typeof SWAP_KINDS)[number];
  shiftId: string;
  counterShiftId: string | null;
  fromUserId: string;
  toUserId: string;
  state: SwapState;
  /** Whether a coordinator must approve after acceptance. */
  needsApproval: boolean;
  requestedBy: string;
  decidedBy: string | null;
  note: string | null;
  createdAt: string;
  updatedAt: string;
}

/** `POST /api/v1/rosters/takeovers` (coordinator): `userId` takes the role over from now (or `start`). */
export const TakeoverRequest = z
  .object({
    roleId: Id,
    userId: Id,
    start: IsoTime.optional(),
    /** Default: the end of the shift current at the start, or 12 hours. */
    end: IsoTime.optional(),
    note: Text(500).nullish(),
  })
  .strict();
export type TakeoverRequest = z.infer<typeof TakeoverRequest>;

/** `GET /api/v1/rosters/coverage`. */
export const CoverageQuery = z
  .object({
    roleId: Id.optional(),
    unitId: Id.optional(),
    from: IsoTime,
    to: IsoTime,
    minRestHours: z.coerce.number().min(0).max(72).optional(),
    includeDrafts: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
  })
  .strict()
  .refine((v) => Date.parse(v.to) > Date.parse(v.from), {
    message: 'must be after from',
    path: ['to'],
  })
  .refine((v) => Date.parse(v.to) - Date.parse(v.from) <= 400 * 86400_000, {
    message: 'at most 400 days',
    path: ['to'],
  });
export type CoverageQuery = z.infer<typeof CoverageQuery>;

export interface CoverageReport {
  from: string;
  to: string;
  minRestHours: number;
  gaps: { roleId: string; start: string; end: string }[];
  doubleBookings: { userId: string; shiftIds: [string, string]; start: string; end: string }[];
  restViolations: {
    userId: string;
    previousShiftId: string;
    nextShiftId: string;
    restHours: number;
  }[];
}

/** `calendar.ics?token=`. */
export const CalendarQuery = z.object({ token: z.string().min(20).max(200) }).strict();

export interface CalendarTokenView {
  token: string;
  /** The path of the feed with the token (relative to the hub). */
  path: string;
}

/** `GET /api/v1/rosters/people/{id}/calendar`: whether a live link exists (the token is never kept). */
export interface CalendarLinkStatus {
  active: boolean;
  /** When the live link was issued; null when there is none. */
  issuedAt: string | null;
}

/** `POST /api/v1/rosters/roles/{id}/import?format=&dryRun=`; the body is the file. */
export const RosterImportQuery = z
  .object({
    format: z.enum(['ics', 'csv']),
    dryRun: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .default('false'),
    /** `ics`: the period to expand recurrences into (default: 90 days from now). */
    from: IsoTime.optional(),
    to: IsoTime.optional(),
    draft: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .default('true'),
  })
  .strict();
export type RosterImportQuery = z.infer<typeof RosterImportQuery>;

export interface RosterImportReport {
  dryRun: boolean;
  /** Shifts that would be (or were) created. */
  shifts: { userId: string; start: string; end: string; line: number }[];
  created: number;
  problems: { line: number; message: string }[];
}

/** `POST /api/v1/rosters/teams`. `dynamic`: everyone on shift at the time in these roles / unit. */
export const CreateTeamRequest = z
  .object({
    name: Text(200),
    kind: z.enum(['static', 'dynamic']),
    memberIds: z.array(Id).max(500).optional(),
    roleIds: z.array(Id).max(100).optional(),
    unitId: Id.nullish(),
  })
  .strict()
  .refine(
    (v) =>
      v.kind === 'static'
        ? !!v.memberIds && !v.roleIds && !v.unitId
        : !v.memberIds && (!!v.roleIds?.length || !!v.unitId),
    {
      message: 'a static team lists memberIds; a dynamic one roleIds and/or unitId',
      path: ['kind'],
    },
  );
export type CreateTeamRequest = z.infer<typeof CreateTeamRequest>;

export const UpdateTeamRequest = z
  .object({
    name: Text(200).optional(),
    memberIds: z.array(Id).max(500).optional(),
    roleIds: z.array(Id).max(100).optional(),
    unitId: Id.nullable().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'nothing to change');
export type UpdateTeamRequest = z.infer<typeof UpdateTeamRequest>;

export interface TeamView {
  id: string;
  name: string;
  kind: 'static' | 'dynamic';
  memberIds: string[];
  roleIds: string[];
  unitId: string | null;
  createdAt: string;
  updatedAt: string;
}

export const AtQuery = z.object({ at: IsoTime.optional() }).strict();

export const PRESENCE_STATUSES = ['available', 'busy', 'dnd', 'off_duty', 'offline'] as const;
export type PresenceStatus = (typeof PRESENCE_STATUSES)[number];

/** `PUT /api/v1/presence/me`: a manual status always has an end. */
export const SetPresenceRequest = z
  .object({
    status: z.enum(['available', 'busy', 'dnd', 'off_duty']),
    until: IsoTime,
    /** Who takes calls meanwhile; required for `busy`/`dnd`/`off_duty` while on duty. */
    delegateId: Id.nullish(),
    note: Text(200).nullish(),
  })
  .strict();
export type SetPresenceRequest = z.infer<typeof SetPresenceRequest>;

export const PresenceQuery = z
  .object({
    userIds: z
      .string()
      .transform((s) => s.split(',').filter(Boolean))
      .pipe(z.array(Id).min(1).max(200)),
  })
  .strict();

export interface PresenceView {
  userId: string;
  status: PresenceStatus;
  /**
   * `manual` (set by the person), `roster` (derived from shifts),
   * `connection` (`offline`: no open socket) or `default`.
   */
  source: 'manual' | 'roster' | 'connection' | 'default';
  until: string | null;
  delegateId: string | null;
  note: string | null;
  /** Current duties: roles the person is on call for now. */
  duties: { roleId: string; roleName: string; until: string }[];
}

/** `POST /api/v1/presence/watch`: the people whose presence changes the caller wants pushed. */
export const PresenceWatchRequest = z.object({ userIds: z.array(Id).max(200) }).strict();
export type PresenceWatchRequest = z.infer<typeof PresenceWatchRequest>;
