import { randomUUID } from 'node:crypto';
import { In, type EntityManager } from 'typeorm';
import { AppError, type CreateSwapRequest, type SwapView } from '@konsilium/shared';
import { iso } from '../../platform/clock.js';
import { callContext, type Actor, type RequestMeta } from '../../platform/http/actor.js';
import {
  DutyShiftEntity,
  DutySwapEntity,
  type DutyShiftRow,
  type DutySwapRow,
} from './rosters.entity.js';
import type { OnCallIndex } from './rosters.index.js';
import { audited, type RosterCtx } from './rosters.ports.js';
import type { RolesService } from './rosters.roles.js';
import type { ShiftsService } from './rosters.shifts.js';
import { swapView } from './rosters.views.js';

const OPEN: DutySwapRow['state'][] = ['requested', 'accepted'];

/**
 * Swaps, give-aways and substitutions: the owner asks, the colleague accepts,
 * a coordinator approves when the role requires it; a coordinator may also do
 * it all at once on someone's behalf. Applying moves the shift(s) to the new
 * person and marks them with the swap, so later edits of times keep them.
 */
export class SwapsService {
  constructor(
    private readonly rc: RosterCtx,
    private readonly roles: RolesService,
    private readonly shifts: ShiftsService,
    private readonly index: OnCallIndex,
  ) {}

  private async row(id: string): Promise<DutySwapRow> {
    const r = await this.rc.db.manager.findOneBy(DutySwapEntity, { id });
    if (!r) throw new AppError('rosters.swap_not_found');
    return r;
  }

  private open(shift: DutyShiftRow, field: string): void {
    if (shift.state === 'cancelled' || Date.parse(shift.endAt) <= this.rc.clock.now().getTime())
      throw new AppError('rosters.swap_conflict', {
        field,
        message: 'The shift was cancelled or has ended',
      });
  }

  async create(actor: Actor, meta: RequestMeta, input: CreateSwapRequest): Promise<SwapView> {
    const manager = actor.permissions.has('rosters.manage');
    const shift = await this.rc.db.manager.findOneBy(DutyShiftEntity, { id: input.shiftId });
    if (!shift) throw new AppError('rosters.shift_not_found', { field: 'shiftId' });
    this.open(shift, 'shiftId');
    if (shift.userId !== actor.userId && !manager)
      throw new AppError('rosters.swap_not_allowed', {
        field: 'shiftId',
        message: 'Only the person on the shift (or a coordinator) can give it away',
      });
    if (input.toUserId === shift.userId)
      throw new AppError('validation.invalid', {
        field: 'toUserId',
        message: 'Invalid body field "toUserId": the shift is already theirs',
      });
    await this.shifts.activeUser(input.toUserId, 'toUserId');
    let counter: DutyShiftRow | null = null;
    if (input.counterShiftId) {
      counter = await this.rc.db.manager.findOneBy(DutyShiftEntity, { id: input.counterShiftId });
      if (!counter) throw new AppError('rosters.shift_not_found', { field: 'counterShiftId' });
      this.open(counter, 'counterShiftId');
      if (counter.userId !== input.toUserId)
        throw new AppError('rosters.swap_conflict', {
          field: 'counterShiftId',
          message: 'The counter shift is not the colleague’s',
        });
    }
    const roles = await this.roles.all();
    const needsApproval =
      !!roles.get(shift.roleId)?.swapApproval ||
      (!!counter && !!roles.get(counter.roleId)?.swapApproval);
    const now = iso(this.rc.clock.now());
    // A coordinator acting for someone decides at once.
    const onBehalf = manager;
    const row: DutySwapRow = {
      id: randomUUID(),
      kind: input.kind,
      shiftId: shift.id,
      counterShiftId: counter?.id ?? null,
      fromUserId: shift.userId,
      toUserId: input.toUserId,
      state: onBehalf ? 'applied' : 'requested',
      needsApproval,
      requestedBy: actor.userId,
      decidedBy: onBehalf ? actor.userId : null,
      note: input.note ?? null,
      createdAt: now,
      updatedAt: now,
    };
    const ctx = callContext(actor, meta);
    let moved: DutyShiftRow[] = [];
    await this.rc.db.transaction(async (tx) => {
      await tx.insert(DutySwapEntity, row);
      await audited(this.rc, tx, ctx, {
        action: 'rosters.swap.request',
        targetType: 'duty_swap',
        targetId: row.id,
        details: {
          kind: row.kind,
          shiftId: row.shiftId,
          counterShiftId: row.counterShiftId,
          fromUserId: row.fromUserId,
          toUserId: row.toUserId,
          onBehalf,
        },
      });
      if (onBehalf) moved = await this.apply(tx, row, ctx);
    });
    if (onBehalf) this.applied(row, moved);
    else
      this.rc.bus.emit('rosters.notify', {
        userIds: [row.toUserId],
        event: 'roster.swap_requested',
        data: swapView(row),
      });
    return swapView(row);
  }

  /** Moves the shift(s); the shifts must still belong to whom the request says. */
  private async apply(
    tx: EntityManager,
    swap: DutySwapRow,
    ctx: ReturnType<typeof callContext>,
  ): Promise<DutyShiftRow[]> {
    const ids = [swap.shiftId, ...(swap.counterShiftId ? [swap.counterShiftId] : [])];
    const rows = await tx.findBy(DutyShiftEntity, { id: In(ids) });
    const shift = rows.find((r) => r.id === swap.shiftId);
    const counter = rows.find((r) => r.id === swap.counterShiftId);
    if (
      !shift ||
      shift.userId !== swap.fromUserId ||
      (swap.counterShiftId && counter?.userId !== swap.toUserId)
    )
      throw new AppError('rosters.swap_conflict', {
        message: 'The shifts changed hands since the request; ask again',
      });
    this.open(shift, 'shiftId');
    if (counter) this.open(counter, 'counterShiftId');
    const now = iso(this.rc.clock.now());
    await tx.update(
      DutyShiftEntity,
      { id: shift.id },
      { userId: swap.toUserId, swapId: swap.id, updatedAt: now },
    );
    if (counter)
      await tx.update(
        DutyShiftEntity,
        { id: counter.id },
        { userId: swap.fromUserId, swapId: swap.id, updatedAt: now },
      );
    await audited(this.rc, tx, ctx, {
      action: 'rosters.swap.apply',
      targetType: 'duty_swap',
      targetId: swap.id,
      details: { shiftIds: ids, fromUserId: swap.fromUserId, toUserId: swap.toUserId },
    });
    return [
      { ...shift, userId: swap.toUserId, swapId: swap.id },
      ...(counter ? [{ ...counter, userId: swap.fromUserId, swapId: swap.id }] : []),
    ];
  }

  /** After an applied swap committed: refresh on-call, tell both, hand off if it is current. */
  private applied(swap: DutySwapRow, rows: DutyShiftRow[]): void {
    const roleIds = [...new Set(rows.map((r) => r.roleId))];
    this.index.invalidate(roleIds);
    this.roles.changed(roleIds);
    this.rc.bus.emit('rosters.notify', {
      userIds: [swap.fromUserId, swap.toUserId],
      event: 'roster.swap_applied',
      data: swapView(swap),
    });
    const now = this.rc.clock.now().getTime();
    for (const r of rows)
      if (r.state === 'published' && Date.parse(r.startAt) <= now && Date.parse(r.endAt) > now)
        this.rc.bus.emit('rosters.shift_changed', {
          roleId: r.roleId,
          at: new Date(now).toISOString(),
          outgoing: [r.userId === swap.toUserId ? swap.fromUserId : swap.toUserId],
          incoming: [r.userId],
        });
  }

  private async step(
    actor: Actor,
    meta: RequestMeta,
    id: string,
    action: 'accept' | 'decline' | 'approve' | 'reject' | 'cancel',
  ): Promise<SwapView> {
    const swap = await this.row(id);
    const manager = actor.permissions.has('rosters.manage');
    const who =
      action === 'accept' || action === 'decline'
        ? actor.userId === swap.toUserId
        : action === 'cancel'
          ? actor.userId === swap.requestedBy || actor.userId === swap.fromUserId
          : manager;
    if (!who) throw new AppError('rosters.swap_not_allowed');
    const from: Record<typeof action, DutySwapRow['state'][]> = {
      accept: ['requested'],
      decline: ['requested'],
      approve: ['accepted'],
      reject: OPEN,
      cancel: OPEN,
    };
    if (!from[action].includes(swap.state))
      throw new AppError('rosters.swap_conflict', {
        message: `The request is ${swap.state}; it cannot be ${action === 'cancel' ? 'cancelled' : `${action}d`}`,
      });
    let state: DutySwapRow['state'];
    if (action === 'accept') state = swap.needsApproval ? 'accepted' : 'applied';
    else if (action === 'approve') state = 'applied';
    else state = action === 'decline' ? 'declined' : action === 'reject' ? 'rejected' : 'cancelled';
    const next: DutySwapRow = {
      ...swap,
      state,
      decidedBy: action === 'approve' || action === 'reject' ? actor.userId : swap.decidedBy,
      updatedAt: iso(this.rc.clock.now()),
    };
    const ctx = callContext(actor, meta);
    let moved: DutyShiftRow[] = [];
    await this.rc.db.transaction(async (tx) => {
      await tx.update(
        DutySwapEntity,
        { id },
        { state: next.state, decidedBy: next.decidedBy, updatedAt: next.updatedAt },
      );
      await audited(this.rc, tx, ctx, {
        action: `rosters.swap.${action}`,
        targetType: 'duty_swap',
        targetId: id,
        details: { state: next.state },
      });
      if (state === 'applied') moved = await this.apply(tx, next, ctx);
    });
    if (state === 'applied') this.applied(next, moved);
    else
      this.rc.bus.emit('rosters.notify', {
        userIds: [...new Set([swap.fromUserId, swap.toUserId])],
        event: 'roster.swap_updated',
        data: swapView(next),
      });
    return swapView(next);
  }

  accept = (a: Actor, m: RequestMeta, id: string) => this.step(a, m, id, 'accept');
  decline = (a: Actor, m: RequestMeta, id: string) => this.step(a, m, id, 'decline');
  approve = (a: Actor, m: RequestMeta, id: string) => this.step(a, m, id, 'approve');
  reject = (a: Actor, m: RequestMeta, id: string) => this.step(a, m, id, 'reject');
  cancel = (a: Actor, m: RequestMeta, id: string) => this.step(a, m, id, 'cancel');

  /** Coordinators see every open request; others, the ones they are part of. */
  async list(actor: Actor): Promise<SwapView[]> {
    const rows = actor.permissions.has('rosters.manage')
      ? await this.rc.db.manager.find(DutySwapEntity, { where: { state: In(OPEN) } })
      : await this.rc.db.manager.find(DutySwapEntity, {
          where: [{ fromUserId: actor.userId }, { toUserId: actor.userId }],
        });
    return rows.sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map(swapView);
  }
}
