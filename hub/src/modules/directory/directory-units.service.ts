import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import {
  AppError,
  PARENT_KIND,
  type CreateUnitRequest,
  type UnitView,
  type UpdateUnitRequest,
} from '@konsilium/shared';
import { iso, type Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { CallContext } from '../../platform/http/actor.js';
import type { AuditLog } from '../audit/index.js';
import {
  OrgUnitEntity,
  StaffEntity,
  StaffUnitEntity,
  type OrgUnitRow,
} from './directory.entity.js';
import { reindexUsers } from './directory.store.js';

export type UpdateUnitInput = UpdateUnitRequest;

/** Nests `rows` into a tree: roots first, children by name. */
export function buildTree(rows: readonly OrgUnitRow[]): UnitView[] {
  const views = new Map<string, UnitView>();
  for (const r of rows) {
    views.set(r.id, {
      id: r.id,
      kind: r.kind,
      name: r.name,
      code: r.code,
      parentId: r.parentId,
      timeZone: r.timeZone,
      active: !!r.active,
      children: [],
    });
  }
  const roots: UnitView[] = [];
  for (const v of views.values()) {
    const parent = v.parentId ? views.get(v.parentId) : undefined;
    (parent ? parent.children : roots).push(v);
  }
  const sort = (list: UnitView[]) => {
    list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1));
    for (const v of list) sort(v.children);
  };
  sort(roots);
  return roots;
}

/** `unitId` and all units below it. */
export function subtreeIds(rows: readonly OrgUnitRow[], unitId: string): Set<string> {
  const children = new Map<string, string[]>();
  for (const r of rows)
    if (r.parentId) children.set(r.parentId, [...(children.get(r.parentId) ?? []), r.id]);
  const out = new Set<string>([unitId]);
  const stack = [unitId];
  while (stack.length) {
    for (const c of children.get(stack.pop()!) ?? []) {
      if (!out.has(c)) {
        out.add(c);
        stack.push(c);
      }
    }
  }
  return out;
}

export function unitView(r: OrgUnitRow): UnitView {
  return buildTree([{ ...r, parentId: null }])[0]!;
}

/**
 * The organization tree (DIR-4): create, rename, re-zone, deactivate.
 * `onChanged` runs after each commit (the search index reloads unit names).
 */
export class UnitsService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly onChanged: (memberIds: string[]) => Promise<void>,
  ) {}

  /** The tree; an inactive unit never has active children (deactivation refuses), so filtering keeps it whole. */
  async tree(includeInactive: boolean): Promise<UnitView[]> {
    const rows = await this.db.manager.find(OrgUnitEntity);
    return buildTree(includeInactive ? rows : rows.filter((r) => r.active));
  }

  async create(ctx: CallContext, input: CreateUnitRequest): Promise<UnitView> {
    const row = await this.db.transaction(async (tx) => {
      const expected = PARENT_KIND[input.kind];
      let parent: OrgUnitRow | null = null;
      if (input.parentId) {
        parent = await tx.findOneBy(OrgUnitEntity, { id: input.parentId });
        if (!parent) throw new AppError('directory.unit_not_found', { field: 'parentId' });
      }
      if (expected === null && parent) {
        throw new AppError('directory.invalid_parent', {
          field: 'parentId',
          message: 'An organization has no parent',
        });
      }
      if (expected !== null && (!parent || parent.kind !== expected || !parent.active)) {
        throw new AppError('directory.invalid_parent', {
          field: 'parentId',
          message: `A ${input.kind} needs an active parent of kind ${expected}`,
        });
      }
      const timeZone = input.timeZone ?? parent?.timeZone;
      if (!timeZone) {
        throw new AppError('validation.invalid', {
          field: 'timeZone',
          message: 'An organization needs a time zone',
        });
      }
      await this.checkCode(tx, input.code ?? null, null);
      const now = iso(this.clock.now());
      const row: OrgUnitRow = {
        id: randomUUID(),
        kind: input.kind,
        name: input.name,
        code: input.code ?? null,
        parentId: parent?.id ?? null,
        timeZone,
        active: true,
        createdAt: now,
        updatedAt: now,
      };
      await tx.insert(OrgUnitEntity, row);
      await this.audit.append(tx, {
        ...actorOf(ctx),
        action: 'directory.unit.create',
        targetType: 'org_unit',
        targetId: row.id,
        details: { kind: row.kind, parentId: row.parentId },
      });
      return row;
    });
    await this.onChanged([]);
    return unitView(row);
  }

  async update(ctx: CallContext, id: string, input: UpdateUnitInput): Promise<UnitView> {
    let members: string[] = [];
    const row = await this.db.transaction(async (tx) => {
      const row = await this.load(tx, id);
      const changed: string[] = [];
      if (input.name !== undefined && input.name !== row.name) changed.push('name');
      if (input.code !== undefined && input.code !== row.code) {
        await this.checkCode(tx, input.code, id);
        changed.push('code');
      }
      if (input.timeZone !== undefined && input.timeZone !== row.timeZone) changed.push('timeZone');
      if (changed.length === 0) return row;
      const next: OrgUnitRow = { ...row, ...input, updatedAt: iso(this.clock.now()) };
      await tx.update(
        OrgUnitEntity,
        { id },
        { name: next.name, code: next.code, timeZone: next.timeZone, updatedAt: next.updatedAt },
      );
      if (changed.includes('name')) {
        members = (await tx.findBy(StaffUnitEntity, { unitId: id })).map((m) => m.userId);
        await reindexUsers(tx, members);
      }
      await this.audit.append(tx, {
        ...actorOf(ctx),
        action: 'directory.unit.update',
        targetType: 'org_unit',
        targetId: id,
        details: { changed },
      });
      return next;
    });
    await this.onChanged(members);
    return unitView(row);
  }

  /** Refuses (`directory.unit_in_use`) while the unit has active sub-units or active members. */
  async deactivate(ctx: CallContext, id: string): Promise<UnitView> {
    const row = await this.db.transaction(async (tx) => {
      const row = await this.load(tx, id);
      if (!row.active) return row;
      const children = await tx.countBy(OrgUnitEntity, { parentId: id, active: true });
      const members = await tx
        .createQueryBuilder(StaffUnitEntity, 'su')
        .innerJoin(StaffEntity.options.name, 's', 's.id = su.user_id')
        .where('su.unit_id = :id AND s.active = :active', { id, active: true })
        .getCount();
      if (children > 0 || members > 0) {
        throw new AppError('directory.unit_in_use', {
          details: { activeChildren: children, activeMembers: members },
        });
      }
      const updatedAt = iso(this.clock.now());
      await tx.update(OrgUnitEntity, { id }, { active: false, updatedAt });
      await this.audit.append(tx, {
        ...actorOf(ctx),
        action: 'directory.unit.deactivate',
        targetType: 'org_unit',
        targetId: id,
      });
      return { ...row, active: false, updatedAt };
    });
    await this.onChanged([]);
    return unitView(row);
  }

  private async load(tx: EntityManager, id: string): Promise<OrgUnitRow> {
    const row = await tx.findOneBy(OrgUnitEntity, { id });
    if (!row) throw new AppError('directory.unit_not_found', { field: 'id' });
    return row;
  }

  private async checkCode(
    tx: EntityManager,
    code: string | null,
    selfId: string | null,
  ): Promise<void> {
    if (code === null) return;
    const other = await tx.findOneBy(OrgUnitEntity, { code });
    if (other && other.id !== selfId)
      throw new AppError('directory.unit_code_taken', { field: 'code' });
  }
}

/** The audit actor fields of a call. */
export function actorOf(ctx: CallContext): {
  actorId: string | null;
  deviceId: string | null;
  requestId: string | null;
} {
  return { actorId: ctx.actorId, deviceId: ctx.deviceId, requestId: ctx.requestId };
}
