import { randomUUID } from 'node:crypto';
import { And, In, LessThan, MoreThan, MoreThanOrEqual, type FindOptionsWhere } from 'typeorm';
import {
  AppError,
  type CreateShiftRequest,
  type ListShiftsQuery,
  type PublishRequest,
  type ShiftView,
  type TakeoverRequest,
  type UpdateShiftRequest,
} from '@konsilium/shared';
import { iso } from '../../platform/clock.js';
import type { CallContext } from '../../platform/http/actor.js';
import { DutyShiftEntity, type DutyRoleRow, type DutyShiftRow } from './rosters.entity.js';
import { MAX_SHIFT_MS, type OnCallIndex } from './rosters.index.js';
import { audited, type RosterCtx } from './rosters.ports.js';
import type { RolesService } from './rosters.roles.js';
import { shiftView, utc } from './rosters.views.js';

/** Shifts: create, edit, cancel, list, publish drafts, emergency take-over. */
export class ShiftsService {
  constructor(
    private readonly rc: RosterCtx,
    private readonly roles: RolesService,
    private readonly index: OnCallIndex,
  ) {}

  async activeUser(id: string, field: string): Promise<void> {
    const p = (await this.rc.people.profiles([id])).get(id);
    if (!p?.active) throw new AppError('rosters.user_not_found', { field });
  }

  async activeRole(id: string, field = 'roleId'): Promise<DutyRoleRow> {
    const role = await this.roles.row(id, field);
    if (!role.active)
      throw new AppError('rosters.role_not_found', { field, message: 'The duty role is inactive' });
    return role;
  }

  async row(id: string): Promise<DutyShiftRow> {
    const r = await this.rc.db.manager.findOneBy(DutyShiftEntity, { id });
    if (!r) throw new AppError('rosters.shift_not_found');
    return r;
  }

  async view(r: DutyShiftRow): Promise<ShiftView> {
    return shiftView(r, (await this.roles.row(r.roleId)).timeZone);
  }

  async get(id: string): Promise<ShiftView> {
    return this.view(await this.row(id));
  }

  async create(ctx: CallContext, input: CreateShiftRequest): Promise<ShiftView> {
    const role = await this.activeRole(input.roleId);
    await this.activeUser(input.userId, 'userId');
    const now = iso(this.rc.clock.now());
    const row = newShift({
      roleId: role.id,
      userId: input.userId,
      startAt: utc(input.start),
      endAt: utc(input.end),
      state: input.draft ? 'draft' : 'published',
      source: 'manual',
      note: input.note ?? null,
      now,
    });
    await this.rc.db.transaction(async (tx) => {
      await tx.insert(DutyShiftEntity, row);
      await audited(this.rc, tx, ctx, {
        action: 'rosters.shift.create',
        targetType: 'duty_shift',
        targetId: row.id,
        details: {
          roleId: row.roleId,
          userId: row.userId,
          start: row.startAt,
          end: row.endAt,
          state: row.state,
        },
      });
    });
    const view = shiftView(row, role.timeZone);
    if (row.state === 'published') this.published(role.id, [view]);
    return view;
  }

  async update(ctx: CallContext, id: string, input: UpdateShiftRequest): Promise<ShiftView> {
    const before = await this.row(id);
    const role = await this.roles.row(before.roleId);
    if (before.state === 'cancelled' || Date.parse(before.endAt) <= this.rc.clock.now().getTime())
      throw new AppError('rosters.shift_not_editable');
    if (input.userId) await this.activeUser(input.userId, 'userId');
    const startAt = input.start ? utc(input.start) : before.startAt;
    const endAt = input.end ? utc(input.end) : before.endAt;
    if (Date.parse(endAt) <= Date.parse(startAt))
      throw new AppError('validation.invalid', {
        field: 'end',
        message: 'Invalid body field "end": must be after start',
      });
    if (Date.parse(endAt) - Date.parse(startAt) > MAX_SHIFT_MS)
      throw new AppError('validation.invalid', {
        field: 'end',
        message: 'Invalid body field "end": a shift lasts at most 72 hours',
      });
    // A new person re-plans the shift (and ends any swap); new times or a
    // note keep the person a swap put there.
    const next: DutyShiftRow = {
      ...before,
      startAt,
      endAt,
      ...(input.userId ? { userId: input.userId, plannedUserId: input.userId, swapId: null } : {}),
      ...(input.note !== undefined ? { note: input.note } : {}),
      updatedAt: iso(this.rc.clock.now()),
    };
    await this.rc.db.transaction(async (tx) => {
      const { id: _id, ...changes } = next;
      await tx.update(DutyShiftEntity, { id }, changes);
      await audited(this.rc, tx, ctx, {
        action: 'rosters.shift.update',
        targetType: 'duty_shift',
        targetId: id,
        details: { changed: Object.keys(input), userId: next.userId, start: startAt, end: endAt },
      });
    });
    const view = shiftView(next, role.timeZone);
    if (next.state === 'published') {
      this.index.invalidate([role.id]);
      this.rc.bus.emit('rosters.notify', {
        userIds: [...new Set([before.userId, next.userId])],
        event: 'roster.shift_changed',
        data: { shift: view },
      });
      this.roles.changed([role.id]);
    }
    return view;
  }

  async cancel(ctx: CallContext, id: string): Promise<ShiftView> {
    const before = await this.row(id);
    if (before.state === 'cancelled') throw new AppError('rosters.shift_not_editable');
    const role = await this.roles.row(before.roleId);
    const next: DutyShiftRow = {
      ...before,
      state: 'cancelled',
      updatedAt: iso(this.rc.clock.now()),
    };
    await this.rc.db.transaction(async (tx) => {
      await tx.update(DutyShiftEntity, { id }, { state: 'cancelled', updatedAt: next.updatedAt });
      await audited(this.rc, tx, ctx, {
        action: 'rosters.shift.cancel',
        targetType: 'duty_shift',
        targetId: id,
        details: { roleId: before.roleId, userId: before.userId, wasState: before.state },
      });
    });
    const view = shiftView(next, role.timeZone);
    if (before.state === 'published') {
      this.index.invalidate([role.id]);
      this.rc.bus.emit('rosters.notify', {
        userIds: [before.userId],
        event: 'roster.shift_cancelled',
        data: { shift: view },
      });
      this.roles.changed([role.id]);
    }
    return view;
  }

  /** Shifts overlapping [from, to), by role and/or person. */
  async rows(q: {
    roleIds?: string[];
    userId?: string;
    userIds?: string[];
    from: string;
    to: string;
    states?: DutyShiftRow['state'][];
  }): Promise<DutyShiftRow[]> {
    const from = utc(q.from);
    const to = utc(q.to);
    const earliest = new Date(Date.parse(from) - MAX_SHIFT_MS).toISOString();
    const where: FindOptionsWhere<DutyShiftRow> = {
      startAt: And(MoreThanOrEqual(earliest), LessThan(to)),
      endAt: MoreThan(from),
      ...(q.roleIds ? { roleId: In(q.roleIds) } : {}),
      ...(q.userId ? { userId: q.userId } : {}),
      ...(q.userIds ? { userId: In(q.userIds) } : {}),
      ...(q.states ? { state: In(q.states) } : {}),
    };
    return this.rc.db.manager.find(DutyShiftEntity, {
      where,
      order: { startAt: 'ASC', id: 'ASC' },
    });
  }

  async list(q: ListShiftsQuery): Promise<ShiftView[]> {
    const rows = await this.rows({
      ...(q.roleId ? { roleIds: [q.roleId] } : {}),
      ...(q.userId ? { userId: q.userId } : {}),
      from: q.from,
      to: q.to,
      states: q.state ? [q.state] : ['draft', 'published'],
    });
    const roles = await this.roles.all();
    return rows.map((r) => shiftView(r, roles.get(r.roleId)?.timeZone ?? 'UTC'));
  }

  async publish(
    ctx: CallContext,
    input: PublishRequest,
  ): Promise<{ published: number; shifts: ShiftView[] }> {
    const role = await this.activeRole(input.roleId);
    const drafts = (
      await this.rows({ roleIds: [role.id], from: input.from, to: input.to, states: ['draft'] })
    ).filter((r) => r.startAt >= utc(input.from));
    const now = iso(this.rc.clock.now());
    await this.rc.db.transaction(async (tx) => {
      for (let i = 0; i < drafts.length; i += 300) {
        const ids = drafts.slice(i, i + 300).map((r) => r.id);
        await tx.update(DutyShiftEntity, { id: In(ids) }, { state: 'published', updatedAt: now });
      }
      await audited(this.rc, tx, ctx, {
        action: 'rosters.publish',
        targetType: 'duty_role',
        targetId: role.id,
        details: { from: utc(input.from), to: utc(input.to), shifts: drafts.length },
      });
    });
    const views = drafts.map((r) =>
      shiftView({ ...r, state: 'published', updatedAt: now }, role.timeZone),
    );
    this.published(role.id, views);
    return { published: views.length, shifts: views };
  }

  /** After published shifts were committed: refresh on-call, tell each person of theirs. */
  published(roleId: string, views: ShiftView[]): void {
    this.index.invalidate([roleId]);
    this.roles.changed([roleId]);
    const byUser = new Map<string, ShiftView[]>();
    for (const v of views) byUser.set(v.userId, [...(byUser.get(v.userId) ?? []), v]);
    for (const [userId, shifts] of byUser)
      this.rc.bus.emit('rosters.notify', {
        userIds: [userId],
        event: 'roster.shifts_published',
        data: { roleId, shifts },
      });
  }

  /**
   * Emergency take-over: `userId` answers for the role from `start` (default
   * now) until `end` (default: the end of the shift current at `start`, else
   * 12 hours), above any other shift.
   */
  async takeover(ctx: CallContext, input: TakeoverRequest): Promise<ShiftView> {
    const role = await this.activeRole(input.roleId);
    await this.activeUser(input.userId, 'userId');
    const nowMs = this.rc.clock.now().getTime();
    const start = input.start ? Date.parse(input.start) : nowMs;
    const current = await this.index.at(role.id, start);
    const end = input.end
      ? Date.parse(input.end)
      : current.length > 0
        ? Math.max(...current.map((s) => s.end))
        : start + 12 * 3600_000;
    if (end <= start)
      throw new AppError('validation.invalid', {
        field: 'end',
        message: 'Invalid body field "end": must be after start',
      });
    if (end - start > MAX_SHIFT_MS)
      throw new AppError('validation.invalid', {
        field: 'end',
        message: 'Invalid body field "end": a take-over lasts at most 72 hours',
      });
    const now = iso(new Date(nowMs));
    const row = newShift({
      roleId: role.id,
      userId: input.userId,
      startAt: new Date(start).toISOString(),
      endAt: new Date(end).toISOString(),
      state: 'published',
      source: 'takeover',
      note: input.note ?? null,
      now,
    });
    await this.rc.db.transaction(async (tx) => {
      await tx.insert(DutyShiftEntity, row);
      await audited(this.rc, tx, ctx, {
        action: 'rosters.takeover',
        targetType: 'duty_shift',
        targetId: row.id,
        details: {
          roleId: role.id,
          userId: row.userId,
          start: row.startAt,
          end: row.endAt,
          replaced: current.map((s) => s.userId),
        },
      });
    });
    const view = shiftView(row, role.timeZone);
    this.published(role.id, [view]);
    if (start <= nowMs) {
      const outgoing = [...new Set(current.map((s) => s.userId))].filter((u) => u !== input.userId);
      this.rc.bus.emit('rosters.shift_changed', {
        roleId: role.id,
        at: now,
        outgoing,
        incoming: [input.userId],
      });
      if (outgoing.length)
        this.rc.bus.emit('rosters.notify', {
          userIds: outgoing,
          event: 'roster.taken_over',
          data: { roleId: role.id, shift: view },
        });
    }
    return view;
  }
}

/** A new shift of one person for a role, outside any pattern or swap. */
function newShift(p: {
  roleId: string;
  userId: string;
  startAt: string;
  endAt: string;
  state: DutyShiftRow['state'];
  source: DutyShiftRow['source'];
  note: string | null;
  now: string;
}): DutyShiftRow {
  return {
    id: randomUUID(),
    roleId: p.roleId,
    userId: p.userId,
    plannedUserId: p.userId,
    startAt: p.startAt,
    endAt: p.endAt,
    state: p.state,
    source: p.source,
    patternId: null,
    patternDate: null,
    swapId: null,
    note: p.note,
    createdAt: p.now,
    updatedAt: p.now,
  };
}
