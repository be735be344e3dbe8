import { In } from 'typeorm';
import type { Database } from '../../platform/db/database.js';
import { DutyShiftEntity, type DutyShiftRow } from './rosters.entity.js';

/** A published shift as the on-call index holds it (times in ms since the epoch). */
export interface Interval {
  id: string;
  userId: string;
  start: number;
  end: number;
  takeover: boolean;
  swapped: boolean;
}

/** The longest shift the roster accepts; bounds the backward scan of a lookup. */
export const MAX_SHIFT_MS = 72 * 3600_000;

interface RoleIntervals {
  /** Sorted by start. */
  shifts: Interval[];
  /** Emergency take-overs, sorted by start; they win while they last. */
  takeovers: Interval[];
}

function toInterval(r: DutyShiftRow): Interval {
  return {
    id: r.id,
    userId: r.userId,
    start: Date.parse(r.startAt),
    end: Date.parse(r.endAt),
    takeover: r.source === 'takeover',
    swapped: r.swapId !== null,
  };
}

/** The intervals of `list` (sorted by start) that contain `t`. */
function covering(list: readonly Interval[], t: number): Interval[] {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.start <= t) lo = mid + 1;
    else hi = mid;
  }
  const out: Interval[] = [];
  for (let i = lo - 1; i >= 0; i--) {
    const s = list[i]!;
    if (s.start < t - MAX_SHIFT_MS) break;
    if (s.end > t) out.push(s);
  }
  return out.reverse();
}

/**
 * Who is on call, in memory: per role, the published shifts sorted by start,
 * loaded from the database on first use and dropped when the role's shifts
 * change (the services call {@link invalidate} after each commit; a change
 * made on another hub node arrives as {@link drop}). A lookup
 * is a binary search plus a scan of at most 72 hours of shifts.
 */
export class OnCallIndex {
  private readonly roles = new Map<string, RoleIntervals>();
  private readonly loading = new Map<string, Promise<RoleIntervals>>();
  private generation = 0;

  /** Told of every {@link invalidate} (several hub nodes: the others drop theirs too). */
  onInvalidate: ((roleIds: string[]) => void) | null = null;

  constructor(private readonly db: Database) {}

  /** After a commit changed published shifts of these roles. */
  invalidate(roleIds: Iterable<string>): void {
    const ids = [...roleIds];
    this.drop(ids);
    this.onInvalidate?.(ids);
  }

  /** Forgets these roles (null: every role) without telling anyone: another node changed them. */
  drop(roleIds: readonly string[] | null): void {
    this.generation++;
    if (roleIds === null) {
      this.roles.clear();
      this.loading.clear();
      return;
    }
    for (const id of roleIds) {
      this.roles.delete(id);
      this.loading.delete(id);
    }
  }

  /** Loads several roles at once (bench warm-up, team resolution). */
  async preload(roleIds: readonly string[]): Promise<void> {
    const missing = roleIds.filter((id) => !this.roles.has(id));
    for (let i = 0; i < missing.length; i += 200) {
      const part = missing.slice(i, i + 200);
      const gen = this.generation;
      const rows = await this.db.manager.find(DutyShiftEntity, {
        where: { roleId: In(part), state: 'published' },
        order: { startAt: 'ASC' },
      });
      if (gen !== this.generation) continue;
      const by = new Map<string, DutyShiftRow[]>(part.map((id) => [id, []]));
      for (const r of rows) by.get(r.roleId)!.push(r);
      for (const [id, list] of by) this.roles.set(id, this.build(list));
    }
  }

  private build(rows: DutyShiftRow[]): RoleIntervals {
    const shifts: Interval[] = [];
    const takeovers: Interval[] = [];
    for (const r of rows) (r.source === 'takeover' ? takeovers : shifts).push(toInterval(r));
    const byStart = (a: Interval, b: Interval) => a.start - b.start;
    return { shifts: shifts.sort(byStart), takeovers: takeovers.sort(byStart) };
  }

  private async get(roleId: string): Promise<RoleIntervals> {
    const hit = this.roles.get(roleId);
    if (hit) return hit;
    let pending = this.loading.get(roleId);
    if (!pending) {
      const gen = this.generation;
      pending = this.db.manager
        .find(DutyShiftEntity, {
          where: { roleId, state: 'published' },
          order: { startAt: 'ASC' },
        })
        .then((rows) => {
          const built = this.build(rows);
          if (gen === this.generation) this.roles.set(roleId, built);
          if (this.loading.get(roleId) === pending) this.loading.delete(roleId);
          return built;
        });
      this.loading.set(roleId, pending);
    }
    return pending;
  }

  /** The published intervals that answer for `roleId` at `t`: take-overs if any, else shifts. */
  async at(roleId: string, t: number): Promise<Interval[]> {
    const r = this.roles.get(roleId) ?? (await this.get(roleId));
    const over = covering(r.takeovers, t);
    return over.length > 0 ? over : covering(r.shifts, t);
  }

  /** Everyone who has a published shift of the role. */
  async userIds(roleId: string): Promise<string[]> {
    const r = await this.get(roleId);
    return [...new Set([...r.shifts, ...r.takeovers].map((s) => s.userId))];
  }

  /** Every start/end instant of `roleId` in (from, to], ascending (shift-change detection). */
  async boundaries(roleId: string, from: number, to: number): Promise<number[]> {
    const r = await this.get(roleId);
    const set = new Set<number>();
    for (const list of [r.shifts, r.takeovers])
      for (const s of list) {
        if (s.start > from && s.start <= to) set.add(s.start);
        if (s.end > from && s.end <= to) set.add(s.end);
      }
    return [...set].sort((a, b) => a - b);
  }
}
