import { AppError, type OnCallPerson, type OnCallView } from '@konsilium/shared';
import type { OnCallIndex } from './rosters.index.js';
import type { RosterCtx } from './rosters.ports.js';
import type { RolesService } from './rosters.roles.js';

const NAME_TTL_MS = 60_000;

/**
 * Who is on call for a role at a time (ROS-3): the published shifts (an
 * emergency take-over wins over them); in a gap, the role's fallback — a
 * person, or another role followed the same way, with loop protection. The
 * answer always says why; it is never a silent empty list.
 */
export class OnCallResolver {
  private readonly names = new Map<string, { fullName: string; active: boolean; at: number }>();

  constructor(
    private readonly rc: RosterCtx,
    private readonly roles: RolesService,
    private readonly index: OnCallIndex,
  ) {}

  /**
   * Full names, cached: a name older than a minute is still answered at once
   * and refreshed in the background, so a renamed person shows the new name
   * soon after without a lookup ever waiting on the directory.
   */
  async profiles(
    ids: readonly string[],
  ): Promise<Map<string, { fullName: string; active: boolean }>> {
    const now = Date.now();
    const out = new Map<string, { fullName: string; active: boolean }>();
    const missing: string[] = [];
    const stale: string[] = [];
    for (const id of ids) {
      const hit = this.names.get(id);
      if (!hit) missing.push(id);
      else {
        out.set(id, hit);
        if (now - hit.at >= NAME_TTL_MS) stale.push(id);
      }
    }
    if (stale.length > 0) void this.fetch(stale).catch(() => undefined);
    if (missing.length > 0) for (const [id, p] of await this.fetch(missing)) out.set(id, p);
    return out;
  }

  private async fetch(
    ids: readonly string[],
  ): Promise<Map<string, { fullName: string; active: boolean }>> {
    const at = Date.now();
    for (const id of ids) {
      const hit = this.names.get(id);
      if (hit) hit.at = at; // one refresh at a time
    }
    const got = await this.rc.people.profiles(ids);
    for (const [id, p] of got) this.names.set(id, { ...p, at });
    return got;
  }

  /** Forgets cached names (a person was renamed or deactivated). */
  forget(ids?: readonly string[]): void {
    if (!ids) this.names.clear();
    else for (const id of ids) this.names.delete(id);
  }

  async resolve(roleId: string, at: Date): Promise<OnCallView> {
    const roles = await this.roles.all();
    const asked = roles.get(roleId);
    if (!asked) throw new AppError('rosters.role_not_found', { field: 'roleId' });
    const t = at.getTime();
    const base = { roleId, at: at.toISOString(), notes: asked.notes };
    const chain = [roleId];
    const people = await this.onShift(roleId, t);
    if (people.length > 0) {
      const source = people.some((p) => p.via === 'takeover')
        ? 'takeover'
        : people.some((p) => p.via === 'swap')
          ? 'swap'
          : 'shift';
      return { ...base, people, source, chain };
    }
    let current = asked;
    for (;;) {
      if (!current.fallbackKind || !current.fallbackId)
        return { ...base, people: [], source: 'none', chain, reason: 'no-fallback' };
      if (current.fallbackKind === 'user') {
        const id = current.fallbackId;
        const p = (await this.profiles([id])).get(id);
        if (!p?.active)
          return { ...base, people: [], source: 'none', chain, reason: 'fallback-inactive' };
        const person: OnCallPerson = {
          id,
          fullName: p.fullName,
          shiftId: null,
          until: null,
          via: 'fallback-user',
        };
        return { ...base, people: [person], source: 'fallback', chain, reason: 'gap' };
      }
      const next = roles.get(current.fallbackId);
      if (!next || !next.active)
        return { ...base, people: [], source: 'none', chain, reason: 'fallback-inactive' };
      if (chain.includes(next.id))
        return { ...base, people: [], source: 'none', chain, reason: 'fallback-cycle' };
      chain.push(next.id);
      const found = await this.onShift(next.id, t);
      if (found.length > 0)
        return { ...base, people: found, source: 'fallback', chain, reason: 'gap' };
      current = next;
    }
  }

  /** The people on a published shift of `roleId` at `t`, soonest-ending first. */
  async onShift(roleId: string, t: number): Promise<OnCallPerson[]> {
    const hits = await this.index.at(roleId, t);
    if (hits.length === 0) return [];
    const ids = hits.map((h) => h.userId);
    // On a miss, learn the names of everyone the role has, not only of this answer.
    if (ids.some((id) => !this.names.has(id)))
      await this.profiles(await this.index.userIds(roleId));
    const names = await this.profiles(ids);
    const seen = new Set<string>();
    const out: OnCallPerson[] = [];
    for (const h of [...hits].sort((a, b) => a.end - b.end)) {
      if (seen.has(h.userId)) continue;
      seen.add(h.userId);
      out.push({
        id: h.userId,
        fullName: names.get(h.userId)?.fullName ?? '',
        shiftId: h.id,
        until: new Date(h.end).toISOString(),
        via: h.takeover ? 'takeover' : h.swapped ? 'swap' : 'shift',
      });
    }
    return out;
  }
}
