import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import {
  AppError,
  type CreateDutyRoleRequest,
  type DutyRoleView,
  type RosterFallback,
  type UpdateDutyRoleRequest,
} from '@konsilium/shared';
import { iso } from '../../platform/clock.js';
import type { CallContext } from '../../platform/http/actor.js';
import { DutyRoleEntity, type DutyRoleRow } from './rosters.entity.js';
import { audited, unitZone, type RosterCtx } from './rosters.ports.js';
import { roleView } from './rosters.views.js';

/** Duty roles: CRUD with fallback validation, and an in-memory copy for lookups. */
export class RolesService {
  private cache: Map<string, DutyRoleRow> | null = null;
  /** Bumped on every drop: a load that started before it is not kept. */
  private generation = 0;
  /** Told of every {@link changed} (several hub nodes: the others drop theirs too). */
  onChange: ((roleIds: string[]) => void) | null = null;

  constructor(private readonly rc: RosterCtx) {}

  /** Every role by id (loaded once, replaced on change). */
  async all(): Promise<Map<string, DutyRoleRow>> {
    if (this.cache) return this.cache;
    const gen = this.generation;
    const rows = await this.rc.db.manager.find(DutyRoleEntity);
    const loaded = new Map(rows.map((r) => [r.id, r]));
    if (gen === this.generation) this.cache = loaded;
    return loaded;
  }

  async row(id: string, field?: string): Promise<DutyRoleRow> {
    const r = (await this.all()).get(id);
    if (!r) throw new AppError('rosters.role_not_found', field ? { field } : {});
    return r;
  }

  async get(id: string): Promise<DutyRoleView> {
    return roleView(await this.row(id));
  }

  async list(unitId?: string): Promise<DutyRoleView[]> {
    const rows = [...(await this.all()).values()]
      .filter((r) => !unitId || r.unitId === unitId)
      .sort((a, b) => a.name.localeCompare(b.name, 'ru') || a.id.localeCompare(b.id));
    return rows.map(roleView);
  }

  private async checkFallback(
    selfId: string,
    fb: RosterFallback | null | undefined,
  ): Promise<void> {
    if (!fb) return;
    if (fb.kind === 'user') {
      const p = (await this.rc.people.profiles([fb.id])).get(fb.id);
      if (!p?.active)
        throw new AppError('rosters.invalid_fallback', {
          field: 'fallback.id',
          message: 'The fallback person is not an active staff member',
        });
      return;
    }
    const roles = await this.all();
    if (fb.id === selfId || !roles.has(fb.id))
      throw new AppError('rosters.invalid_fallback', {
        field: 'fallback.id',
        message: fb.id === selfId ? 'A role cannot fall back to itself' : 'No such duty role',
      });
    // Follow the chain: it must not come back to this role.
    const seen = new Set([selfId]);
    let cur: string | null = fb.id;
    while (cur) {
      if (seen.has(cur))
        throw new AppError('rosters.invalid_fallback', {
          field: 'fallback.id',
          message: 'The fallback chain would loop back to this role',
        });
      seen.add(cur);
      const r = roles.get(cur);
      cur = r?.fallbackKind === 'role' ? r.fallbackId : null;
    }
  }

  async create(ctx: CallContext, input: CreateDutyRoleRequest): Promise<DutyRoleView> {
    const zone = await unitZone(this.rc.people, input.unitId);
    if (!zone) throw new AppError('directory.unit_not_found', { field: 'unitId' });
    const id = randomUUID();
    await this.checkFallback(id, input.fallback);
    const now = iso(this.rc.clock.now());
    const row: DutyRoleRow = {
      id,
      name: input.name,
      unitId: input.unitId,
      timeZone: zone,
      fallbackKind: input.fallback?.kind ?? null,
      fallbackId: input.fallback?.id ?? null,
      notes: input.notes ?? null,
      swapApproval: input.swapApproval ?? false,
      active: true,
      createdAt: now,
      updatedAt: now,
    };
    await this.rc.db.transaction(async (tx) => {
      await tx.insert(DutyRoleEntity, row);
      await audited(this.rc, tx, ctx, {
        action: 'rosters.role.create',
        targetType: 'duty_role',
        targetId: id,
        details: { unitId: row.unitId, fallback: input.fallback ?? null },
      });
    });
    this.changed([id]);
    return roleView(row);
  }

  async update(ctx: CallContext, id: string, input: UpdateDutyRoleRequest): Promise<DutyRoleView> {
    const before = await this.row(id);
    if (input.fallback !== undefined) await this.checkFallback(id, input.fallback);
    const next: DutyRoleRow = {
      ...before,
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.notes !== undefined ? { notes: input.notes } : {}),
      ...(input.swapApproval !== undefined ? { swapApproval: input.swapApproval } : {}),
      ...(input.active !== undefined ? { active: input.active } : {}),
      ...(input.fallback !== undefined
        ? { fallbackKind: input.fallback?.kind ?? null, fallbackId: input.fallback?.id ?? null }
        : {}),
      updatedAt: iso(this.rc.clock.now()),
    };
    await this.rc.db.transaction(async (tx: EntityManager) => {
      const { id: _id, ...changes } = next;
      await tx.update(DutyRoleEntity, { id }, changes);
      await audited(this.rc, tx, ctx, {
        action: 'rosters.role.update',
        targetType: 'duty_role',
        targetId: id,
        details: { changed: Object.keys(input) },
      });
    });
    this.changed([id]);
    return roleView(next);
  }

  /** After a commit: drops the cached roles and tells listeners the answers may differ. */
  changed(roleIds: string[]): void {
    this.forget(roleIds);
    this.onChange?.(roleIds);
  }

  /**
   * Another hub node changed these roles or their shifts (null: it is not
   * known which): the same as {@link changed}, without telling the others.
   */
  changedElsewhere(roleIds: readonly string[] | null): void {
    this.forget(roleIds ?? [...(this.cache?.keys() ?? [])]);
  }

  private forget(roleIds: readonly string[]): void {
    this.cache = null;
    this.generation++;
    this.rc.bus.emit('rosters.changed', { roleIds: [...roleIds] });
  }
}
