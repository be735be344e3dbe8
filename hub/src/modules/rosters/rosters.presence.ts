import { AppError, type PresenceView, type SetPresenceRequest } from '@konsilium/shared';
import { iso } from '../../platform/clock.js';
import { callContext, type Actor, type RequestMeta } from '../../platform/http/actor.js';
import { PresenceEntity } from './rosters.entity.js';
import type { OnCallIndex } from './rosters.index.js';
import { audited, type RosterCtx } from './rosters.ports.js';
import type { RolesService } from './rosters.roles.js';
import type { ShiftsService } from './rosters.shifts.js';
import { In } from 'typeorm';

const DAY = 86400_000;
/** A manual status lasts at most this long. */
export const MAX_STATUS_MS = 14 * DAY;

/**
 * Presence (INB-3, DIR-5): a manual status, which always ends (and, when it
 * makes an on-duty person unavailable, names a delegate); otherwise derived
 * from the roster — on a shift now: available; rostered but not now: off
 * duty. Changes are pushed to the people watching that person.
 */
export class PresenceService {
  /** watcher → watched, and watched → watchers (in memory: a watch lasts while the client renews it). */
  private readonly watching = new Map<string, Set<string>>();
  private readonly watchers = new Map<string, Set<string>>();

  constructor(
    private readonly rc: RosterCtx,
    private readonly roles: RolesService,
    private readonly shifts: ShiftsService,
    private readonly index: OnCallIndex,
  ) {}

  /** The roles a person is on call for at `t` (published shifts not overridden by a take-over). */
  async duties(userId: string, t: number): Promise<PresenceView['duties']> {
    const rows = await this.shifts.rows({
      userId,
      from: new Date(t).toISOString(),
      to: new Date(t + 1).toISOString(),
      states: ['published'],
    });
    const roles = await this.roles.all();
    const out: PresenceView['duties'] = [];
    for (const r of rows) {
      const on = await this.index.at(r.roleId, t);
      if (!on.some((i) => i.id === r.id)) continue;
      out.push({ roleId: r.roleId, roleName: roles.get(r.roleId)?.name ?? '', until: r.endAt });
    }
    return out;
  }

  async views(userIds: readonly string[]): Promise<PresenceView[]> {
    const now = this.rc.clock.now().getTime();
    const manual = new Map(
      (await this.rc.db.manager.findBy(PresenceEntity, { userId: In([...userIds]) }))
        .filter((r) => Date.parse(r.until) > now)
        .map((r) => [r.userId, r]),
    );
    const out: PresenceView[] = [];
    for (const userId of userIds) {
      const duties = await this.duties(userId, now);
      const m = manual.get(userId);
      if (m) {
        out.push({
          userId,
          status: m.status,
          source: 'manual',
          until: m.until,
          delegateId: m.delegateId,
          note: m.note,
          duties,
        });
        continue;
      }
      if (duties.length > 0) {
        out.push({
          userId,
          status: 'available',
          source: 'roster',
          until: duties.map((d) => d.until).sort()[0]!,
          delegateId: null,
          note: null,
          duties,
        });
        continue;
      }
      const rostered = await this.shifts.rows({
        userId,
        from: new Date(now - 31 * DAY).toISOString(),
        to: new Date(now + 31 * DAY).toISOString(),
        states: ['published'],
      });
      const next = rostered.find((r) => Date.parse(r.startAt) > now);
      out.push(
        rostered.length > 0
          ? {
              userId,
              status: 'off_duty',
              source: 'roster',
              until: next?.startAt ?? null,
              delegateId: null,
              note: null,
              duties,
            }
          : {
              userId,
              status: 'available',
              source: 'default',
              until: null,
              delegateId: null,
              note: null,
              duties,
            },
      );
    }
    return out;
  }

  async set(actor: Actor, meta: RequestMeta, input: SetPresenceRequest): Promise<PresenceView> {
    const now = this.rc.clock.now().getTime();
    const until = Date.parse(input.until);
    if (until <= now || until - now > MAX_STATUS_MS)
      throw new AppError('validation.invalid', {
        field: 'until',
        message: 'Invalid body field "until": in the future, at most 14 days ahead',
        details: { in: 'body' },
      });
    if (input.delegateId) {
      if (input.delegateId === actor.userId)
        throw new AppError('validation.invalid', {
          field: 'delegateId',
          message: 'Invalid body field "delegateId": not yourself',
          details: { in: 'body' },
        });
      await this.shifts.activeUser(input.delegateId, 'delegateId');
    }
    const unavailable = input.status !== 'available';
    if (unavailable && !input.delegateId) {
      const onDuty = await this.shifts.rows({
        userId: actor.userId,
        from: new Date(now).toISOString(),
        to: new Date(until).toISOString(),
        states: ['published'],
      });
      if (onDuty.length > 0)
        throw new AppError('rosters.delegate_required', { field: 'delegateId' });
    }
    const row = {
      userId: actor.userId,
      status: input.status,
      until: new Date(until).toISOString(),
      delegateId: input.delegateId ?? null,
      note: input.note ?? null,
      setAt: iso(new Date(now)),
    };
    await this.rc.db.transaction(async (tx) => {
      await tx.delete(PresenceEntity, { userId: actor.userId });
      await tx.insert(PresenceEntity, row);
      await audited(this.rc, tx, callContext(actor, meta), {
        action: 'presence.set',
        targetType: 'staff',
        targetId: actor.userId,
        details: { status: row.status, until: row.until, delegateId: row.delegateId },
      });
    });
    return this.changed(actor.userId);
  }

  async clear(actor: Actor, meta: RequestMeta): Promise<PresenceView> {
    await this.rc.db.transaction(async (tx) => {
      await tx.delete(PresenceEntity, { userId: actor.userId });
      await audited(this.rc, tx, callContext(actor, meta), {
        action: 'presence.clear',
        targetType: 'staff',
        targetId: actor.userId,
      });
    });
    return this.changed(actor.userId);
  }

  private async changed(userId: string): Promise<PresenceView> {
    const [view] = await this.views([userId]);
    this.rc.bus.emit('rosters.presence_changed', {
      userId,
      status: view!.status,
      until: view!.until,
    });
    const to = [...(this.watchers.get(userId) ?? [])];
    if (to.length > 0)
      this.rc.bus.emit('rosters.notify', { userIds: to, event: 'presence.changed', data: view });
    return view!;
  }

  /** `watcher` now watches exactly `userIds` (replacing an earlier list); answers their presence. */
  async watch(watcher: string, userIds: readonly string[]): Promise<PresenceView[]> {
    for (const old of this.watching.get(watcher) ?? []) this.watchers.get(old)?.delete(watcher);
    const set = new Set(userIds);
    this.watching.set(watcher, set);
    for (const id of set) {
      if (!this.watchers.has(id)) this.watchers.set(id, new Set());
      this.watchers.get(id)!.add(watcher);
    }
    return this.views([...set]);
  }

  /** Who watches `userId` (tests, and roster changes that alter a derived status). */
  watchersOf(userId: string): string[] {
    return [...(this.watchers.get(userId) ?? [])];
  }
}
