import { AppError, type PresenceView, type SetPresenceRequest } from '@konsilium/shared';
import { iso } from '../../platform/clock.js';
import { callContext, type Actor, type RequestMeta } from '../../platform/http/actor.js';
import { PresenceEntity, type DutyShiftRow } from './rosters.entity.js';
import type { OnCallIndex } from './rosters.index.js';
import { audited, type RosterCtx } from './rosters.ports.js';
import type { RolesService } from './rosters.roles.js';
import type { ShiftsService } from './rosters.shifts.js';
import { In } from 'typeorm';

const DAY = 86400_000;
/** A manual status lasts at most this long. */
export const MAX_STATUS_MS = 14 * DAY;

/**
 * Presence (INB-3, DIR-5). Precedence, first match wins:
 * 1. a manual status (it always ends; when it makes an on-duty person
 *    unavailable it names a delegate);
 * 2. `off_duty` when the person is rostered (±31 days) but on no shift now;
 * 3. `offline` when the person has no open socket (source `connection`) —
 *    current duties are still listed, so a caller sees "on duty, not in the app";
 * 4. `available`: on a shift now (source `roster`) or not rostered at all
 *    (source `default`).
 * Changes (a status set or cleared, a user's first socket opening or last
 * one closing) are pushed to the people watching that person.
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
    /** Whether the user has an open socket (the realtime gateway). */
    private readonly online: (userId: string) => boolean,
  ) {}

  private readonly inFlight = new Set<Promise<void>>();

  /** The roles a person is on call for at `t`, from their published shifts (not overridden by a take-over). */
  private async dutiesFrom(
    rows: readonly DutyShiftRow[],
    t: number,
    names: Map<string, { name: string }>,
  ): Promise<PresenceView['duties']> {
    const out: PresenceView['duties'] = [];
    for (const r of rows) {
      if (Date.parse(r.startAt) > t || Date.parse(r.endAt) <= t) continue;
      const on = await this.index.at(r.roleId, t);
      if (!on.some((i) => i.id === r.id)) continue;
      out.push({ roleId: r.roleId, roleName: names.get(r.roleId)?.name ?? '', until: r.endAt });
    }
    return out;
  }

  /** Presence of these people, in the same order (one query for manual statuses, one for shifts). */
  async views(userIds: readonly string[]): Promise<PresenceView[]> {
    if (userIds.length === 0) return [];
    const now = this.rc.clock.now().getTime();
    const ids = [...new Set(userIds)];
    const manual = new Map(
      (await this.rc.db.manager.findBy(PresenceEntity, { userId: In(ids) }))
        .filter((r) => Date.parse(r.until) > now)
        .map((r) => [r.userId, r]),
    );
    const shifts = new Map<string, DutyShiftRow[]>();
    for (const r of await this.shifts.rows({
      userIds: ids,
      from: new Date(now - 31 * DAY).toISOString(),
      to: new Date(now + 31 * DAY).toISOString(),
      states: ['published'],
    })) {
      if (!shifts.has(r.userId)) shifts.set(r.userId, []);
      shifts.get(r.userId)!.push(r);
    }
    const names = await this.roles.all();
    const out: PresenceView[] = [];
    for (const userId of userIds) {
      const rostered = shifts.get(userId) ?? [];
      const duties = await this.dutiesFrom(rostered, now, names);
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
      const base = { userId, delegateId: null, note: null, duties };
      if (duties.length === 0 && rostered.length > 0) {
        const next = rostered.find((r) => Date.parse(r.startAt) > now);
        out.push({ ...base, status: 'off_duty', source: 'roster', until: next?.startAt ?? null });
      } else if (!this.online(userId)) {
        out.push({ ...base, status: 'offline', source: 'connection', until: null });
      } else if (duties.length > 0) {
        const until = duties.map((d) => d.until).sort()[0]!;
        out.push({ ...base, status: 'available', source: 'roster', until });
      } else {
        out.push({ ...base, status: 'available', source: 'default', until: null });
      }
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

  /**
   * A user's socket count went from 0 to 1 or back (bus `realtime.presence`):
   * tells their watchers the new view. Nothing is read when nobody watches.
   */
  connectionChanged(userId: string): void {
    if (!this.watchers.get(userId)?.size) return;
    const run = this.changed(userId)
      .then(() => undefined)
      .catch((err: unknown) => this.rc.log.error({ err }, 'presence change not announced'));
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  /** Waits for announcements under way (the module stops). */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }
  /** Called with a user whose presence changed here (several nodes: tells the others). */
  onChange: (userId: string) => void = () => undefined;

  private async changed(userId: string): Promise<PresenceView> {
    const view = await this.notifyWatchers(userId);
    this.onChange(userId);
    return view;
  }

  /**
   * Sends a user's current presence to the people watching them through this
   * hub node (also when another node says it changed there).
   */
  async notifyWatchers(userId: string): Promise<PresenceView> {
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
