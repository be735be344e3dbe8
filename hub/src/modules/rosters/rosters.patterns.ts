import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { And, In, LessThanOrEqual, MoreThanOrEqual } from 'typeorm';
import {
  AppError,
  type CreatePatternRequest,
  type ExpandPatternRequest,
  type PatternView,
  type ShiftView,
} from '@konsilium/shared';
import { iso } from '../../platform/clock.js';
import type { CallContext } from '../../platform/http/actor.js';
import { DutyPatternEntity, DutyShiftEntity, type DutyShiftRow } from './rosters.entity.js';
import type { OnCallIndex } from './rosters.index.js';
import { audited, type RosterCtx } from './rosters.ports.js';
import type { RolesService } from './rosters.roles.js';
import type { ShiftsService } from './rosters.shifts.js';
import { patternView, shiftView } from './rosters.views.js';

/** One shift a pattern asks for on a local date. */
export interface PlannedShift {
  date: string;
  userId: string;
  start: string;
  end: string;
}

type Definition = Pick<
  PatternView,
  'kind' | 'anchorDate' | 'startTime' | 'hours' | 'cycle' | 'week' | 'exceptions'
>;

/**
 * The shifts of a pattern for local dates `from`..`to` in `zone`. A cycle
 * gives day d (counted from the anchor) to `cycle[d mod length]`; a weekly
 * pattern gives each ISO weekday to its person; exceptions skip a date
 * (`userId` null) or give it to someone else. Start and end are computed in
 * the zone, so a 24-hour shift from 08:00 ends at 08:00 local the next day.
 */
export function expandPattern(
  def: Definition,
  zone: string,
  from: string,
  to: string,
): PlannedShift[] {
  const anchor = DateTime.fromISO(def.anchorDate, { zone });
  const exceptions = new Map(def.exceptions.map((e) => [e.date, e.userId]));
  const out: PlannedShift[] = [];
  const last = DateTime.fromISO(to, { zone });
  for (let d = DateTime.fromISO(from, { zone }); d <= last; d = d.plus({ days: 1 })) {
    const date = d.toISODate()!;
    let userId: string | null = null;
    if (def.kind === 'cycle' && def.cycle) {
      const n = def.cycle.length;
      const idx = Math.round(d.diff(anchor, 'days').days);
      userId = def.cycle[((idx % n) + n) % n] ?? null;
    } else if (def.week) {
      userId = def.week.find((w) => w.weekday === d.weekday)?.userId ?? null;
    }
    if (exceptions.has(date)) userId = exceptions.get(date) ?? null;
    if (!userId) continue;
    const start = DateTime.fromISO(`${date}T${def.startTime}`, { zone });
    const end = start.plus({ hours: def.hours });
    out.push({ date, userId, start: start.toUTC().toISO()!, end: end.toUTC().toISO()! });
  }
  return out;
}

/** Recurring patterns and their expansion into shifts. */
export class PatternsService {
  constructor(
    private readonly rc: RosterCtx,
    private readonly roles: RolesService,
    private readonly shifts: ShiftsService,
    private readonly index: OnCallIndex,
  ) {}

  async create(ctx: CallContext, input: CreatePatternRequest): Promise<PatternView> {
    const role = await this.shifts.activeRole(input.roleId);
    const people: [string, string][] = [
      ...(input.cycle ?? []).flatMap((id, i): [string, string][] =>
        id ? [[id, `cycle.${i}`]] : [],
      ),
      ...(input.week ?? []).map((w, i): [string, string] => [w.userId, `week.${i}.userId`]),
      ...(input.exceptions ?? []).flatMap((e, i): [string, string][] =>
        e.userId ? [[e.userId, `exceptions.${i}.userId`]] : [],
      ),
    ];
    const profiles = await this.rc.people.profiles(people.map(([id]) => id));
    for (const [id, field] of people)
      if (!profiles.get(id)?.active) throw new AppError('rosters.user_not_found', { field });
    const weekdays = (input.week ?? []).map((w) => w.weekday);
    if (new Set(weekdays).size !== weekdays.length)
      throw new AppError('validation.invalid', {
        field: 'week',
        message: 'Invalid body field "week": one person per weekday',
      });
    const def: Definition = {
      kind: input.kind,
      anchorDate: input.anchorDate,
      startTime: input.startTime,
      hours: input.hours,
      cycle: input.cycle ?? null,
      week: input.week ?? null,
      exceptions: input.exceptions ?? [],
    };
    const row = {
      id: randomUUID(),
      roleId: role.id,
      name: input.name,
      kind: input.kind,
      definition: JSON.stringify({
        anchorDate: def.anchorDate,
        startTime: def.startTime,
        hours: def.hours,
        cycle: def.cycle,
        week: def.week,
        exceptions: def.exceptions,
      }),
      createdAt: iso(this.rc.clock.now()),
    };
    await this.rc.db.transaction(async (tx) => {
      await tx.insert(DutyPatternEntity, row);
      await audited(this.rc, tx, ctx, {
        action: 'rosters.pattern.create',
        targetType: 'duty_pattern',
        targetId: row.id,
        details: { roleId: role.id, kind: row.kind },
      });
    });
    return patternView(row);
  }

  async get(id: string): Promise<PatternView> {
    const row = await this.rc.db.manager.findOneBy(DutyPatternEntity, { id });
    if (!row) throw new AppError('rosters.pattern_not_found');
    return patternView(row);
  }

  async list(roleId: string): Promise<PatternView[]> {
    const rows = await this.rc.db.manager.find(DutyPatternEntity, {
      where: { roleId },
      order: { createdAt: 'ASC' },
    });
    return rows.map(patternView);
  }

  /**
   * Writes the pattern's shifts for `from`..`to`: new dates become drafts
   * (published with `publish`), dates already expanded are updated in place —
   * a shift a swap gave to someone else keeps that person — and dates the
   * pattern no longer wants are cancelled.
   */
  async expand(
    ctx: CallContext,
    id: string,
    input: ExpandPatternRequest,
  ): Promise<{ created: number; updated: number; cancelled: number; shifts: ShiftView[] }> {
    const pattern = await this.get(id);
    const role = await this.shifts.activeRole(pattern.roleId);
    const planned = expandPattern(pattern, role.timeZone, input.from, input.to);
    const now = iso(this.rc.clock.now());
    const touched: DutyShiftRow[] = [];
    const notify = new Set<string>();
    let created = 0;
    let updated = 0;
    let cancelled = 0;
    await this.rc.db.transaction(async (tx) => {
      const existing = await tx.find(DutyShiftEntity, {
        where: {
          patternId: id,
          patternDate: And(MoreThanOrEqual(input.from), LessThanOrEqual(input.to)),
          state: In(['draft', 'published']),
        },
      });
      const byDate = new Map(existing.map((r) => [r.patternDate!, r]));
      const inserts: DutyShiftRow[] = [];
      for (const p of planned) {
        const old = byDate.get(p.date);
        byDate.delete(p.date);
        if (!old) {
          const row: DutyShiftRow = {
            id: randomUUID(),
            roleId: role.id,
            userId: p.userId,
            plannedUserId: p.userId,
            startAt: p.start,
            endAt: p.end,
            state: input.publish ? 'published' : 'draft',
            source: 'pattern',
            patternId: id,
            patternDate: p.date,
            swapId: null,
            note: null,
            createdAt: now,
            updatedAt: now,
          };
          inserts.push(row);
          touched.push(row);
          created++;
          continue;
        }
        const same =
          old.startAt === p.start && old.endAt === p.end && old.plannedUserId === p.userId;
        if (same && !(input.publish && old.state === 'draft')) continue;
        const next: DutyShiftRow = {
          ...old,
          startAt: p.start,
          endAt: p.end,
          plannedUserId: p.userId,
          // A swap survives re-planning: its person stays on the shift.
          userId: old.swapId ? old.userId : p.userId,
          state: input.publish ? 'published' : old.state,
          updatedAt: now,
        };
        const { id: rowId, ...changes } = next;
        await tx.update(DutyShiftEntity, { id: rowId }, changes);
        if (old.state === 'published') notify.add(old.userId);
        touched.push(next);
        updated++;
      }
      for (const old of byDate.values()) {
        await tx.update(DutyShiftEntity, { id: old.id }, { state: 'cancelled', updatedAt: now });
        if (old.state === 'published') notify.add(old.userId);
        cancelled++;
      }
      for (let i = 0; i < inserts.length; i += 100)
        await tx.insert(DutyShiftEntity, inserts.slice(i, i + 100));
      await audited(this.rc, tx, ctx, {
        action: 'rosters.pattern.expand',
        targetType: 'duty_pattern',
        targetId: id,
        details: {
          from: input.from,
          to: input.to,
          created,
          updated,
          cancelled,
          publish: !!input.publish,
        },
      });
    });
    const views = touched.map((r) => shiftView(r, role.timeZone));
    const published = views.filter((v) => v.state === 'published');
    this.index.invalidate([role.id]);
    if (published.length > 0 || notify.size > 0) this.shifts.published(role.id, published);
    for (const userId of notify)
      if (!published.some((v) => v.userId === userId))
        this.rc.bus.emit('rosters.notify', {
          userIds: [userId],
          event: 'roster.shift_changed',
          data: { roleId: role.id },
        });
    return { created, updated, cancelled, shifts: views };
  }
}
