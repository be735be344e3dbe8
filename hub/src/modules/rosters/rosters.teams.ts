import { randomUUID } from 'node:crypto';
import {
  AppError,
  type CreateTeamRequest,
  type TeamView,
  type UpdateTeamRequest,
} from '@konsilium/shared';
import { iso } from '../../platform/clock.js';
import type { CallContext } from '../../platform/http/actor.js';
import { RosterTeamEntity, type RosterTeamRow } from './rosters.entity.js';
import type { OnCallResolver } from './rosters.oncall.js';
import { audited, unitZone, type RosterCtx } from './rosters.ports.js';
import type { RolesService } from './rosters.roles.js';
import { teamView } from './rosters.views.js';

export interface TeamMember {
  id: string;
  fullName: string;
  /** For a dynamic team: the role that puts them in it, and until when. */
  roleId: string | null;
  until: string | null;
}

/** Static teams (a fixed list) and dynamic ones (everyone on shift at a time in roles / a unit). */
export class TeamsService {
  constructor(
    private readonly rc: RosterCtx,
    private readonly roles: RolesService,
    private readonly oncall: OnCallResolver,
  ) {}

  private async row(id: string): Promise<RosterTeamRow> {
    const r = await this.rc.db.manager.findOneBy(RosterTeamEntity, { id, active: true });
    if (!r) throw new AppError('rosters.team_not_found');
    return r;
  }

  private async check(input: {
    memberIds?: string[] | undefined;
    roleIds?: string[] | undefined;
    unitId?: string | null | undefined;
  }): Promise<void> {
    if (input.memberIds?.length) {
      const p = await this.rc.people.profiles(input.memberIds);
      input.memberIds.forEach((id, i) => {
        if (!p.get(id)?.active)
          throw new AppError('rosters.user_not_found', { field: `memberIds.${i}` });
      });
    }
    if (input.roleIds?.length) {
      const roles = await this.roles.all();
      input.roleIds.forEach((id, i) => {
        if (!roles.has(id)) throw new AppError('rosters.role_not_found', { field: `roleIds.${i}` });
      });
    }
    if (input.unitId && !(await unitZone(this.rc.people, input.unitId)))
      throw new AppError('directory.unit_not_found', { field: 'unitId' });
  }

  async create(ctx: CallContext, input: CreateTeamRequest): Promise<TeamView> {
    await this.check(input);
    const now = iso(this.rc.clock.now());
    const row: RosterTeamRow = {
      id: randomUUID(),
      name: input.name,
      kind: input.kind,
      memberIds: JSON.stringify([...new Set(input.memberIds ?? [])]),
      roleIds: JSON.stringify([...new Set(input.roleIds ?? [])]),
      unitId: input.unitId ?? null,
      active: true,
      createdAt: now,
      updatedAt: now,
    };
    await this.rc.db.transaction(async (tx) => {
      await tx.insert(RosterTeamEntity, row);
      await audited(this.rc, tx, ctx, {
        action: 'rosters.team.create',
        targetType: 'roster_team',
        targetId: row.id,
        details: { kind: row.kind },
      });
    });
    return teamView(row);
  }

  async update(ctx: CallContext, id: string, input: UpdateTeamRequest): Promise<TeamView> {
    const before = await this.row(id);
    if (before.kind === 'static' && (input.roleIds || input.unitId !== undefined))
      throw new AppError('validation.invalid', {
        field: input.roleIds ? 'roleIds' : 'unitId',
        message: 'A static team lists members only',
      });
    if (before.kind === 'dynamic' && input.memberIds)
      throw new AppError('validation.invalid', {
        field: 'memberIds',
        message: 'A dynamic team has no fixed members',
      });
    await this.check(input);
    const next: RosterTeamRow = {
      ...before,
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.memberIds ? { memberIds: JSON.stringify([...new Set(input.memberIds)]) } : {}),
      ...(input.roleIds ? { roleIds: JSON.stringify([...new Set(input.roleIds)]) } : {}),
      ...(input.unitId !== undefined ? { unitId: input.unitId } : {}),
      updatedAt: iso(this.rc.clock.now()),
    };
    if (next.kind === 'dynamic' && next.roleIds === '[]' && !next.unitId)
      throw new AppError('validation.invalid', {
        field: 'roleIds',
        message: 'A dynamic team needs roles or a unit',
      });
    await this.rc.db.transaction(async (tx) => {
      const { id: _id, ...changes } = next;
      await tx.update(RosterTeamEntity, { id }, changes);
      await audited(this.rc, tx, ctx, {
        action: 'rosters.team.update',
        targetType: 'roster_team',
        targetId: id,
        details: { changed: Object.keys(input) },
      });
    });
    return teamView(next);
  }

  async remove(ctx: CallContext, id: string): Promise<void> {
    await this.row(id);
    await this.rc.db.transaction(async (tx) => {
      await tx.update(
        RosterTeamEntity,
        { id },
        { active: false, updatedAt: iso(this.rc.clock.now()) },
      );
      await audited(this.rc, tx, ctx, {
        action: 'rosters.team.delete',
        targetType: 'roster_team',
        targetId: id,
      });
    });
  }

  async get(id: string): Promise<TeamView> {
    return teamView(await this.row(id));
  }

  async list(): Promise<TeamView[]> {
    const rows = await this.rc.db.manager.find(RosterTeamEntity, {
      where: { active: true },
      order: { name: 'ASC', id: 'ASC' },
    });
    return rows.map(teamView);
  }

  /** Who is in the team at `at`: the list of a static team, or who is on shift for a dynamic one. */
  async members(
    id: string,
    at: Date,
  ): Promise<{ teamId: string; at: string; members: TeamMember[] }> {
    const team = teamView(await this.row(id));
    const out: TeamMember[] = [];
    if (team.kind === 'static') {
      const p = await this.oncall.profiles(team.memberIds);
      for (const id of team.memberIds) {
        const person = p.get(id);
        if (person?.active) out.push({ id, fullName: person.fullName, roleId: null, until: null });
      }
    } else {
      const roles = await this.roles.all();
      const roleIds = (team.roleIds.length ? team.roleIds : [...roles.keys()]).filter((rid) => {
        const r = roles.get(rid);
        return r?.active && (!team.unitId || r.unitId === team.unitId);
      });
      const seen = new Set<string>();
      for (const roleId of roleIds)
        for (const p of await this.oncall.onShift(roleId, at.getTime()))
          if (!seen.has(p.id)) {
            seen.add(p.id);
            out.push({ id: p.id, fullName: p.fullName, roleId, until: p.until });
          }
    }
    return { teamId: id, at: at.toISOString(), members: out };
  }
}
