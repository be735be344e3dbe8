import { randomUUID } from 'node:crypto';
import {
  AppError,
  defaultRoleFor,
  type CreateUserRequest,
  type UpdateUserRequest,
  type UserView,
} from '@konsilium/shared';
import { iso, type Clock } from '../../platform/clock.js';
import { BatchRead } from '../../platform/batch-read.js';
import type { Database } from '../../platform/db/database.js';
import type { CallContext } from '../../platform/http/actor.js';
import type { AuditLog } from '../audit/index.js';
import type { CredentialStore } from './directory.ports.js';
import {
  StaffEntity,
  StaffExternalIdEntity,
  StaffUnitEntity,
  type StaffRow,
} from './directory.entity.js';
import { loadViews, type StaffRecord } from './directory.store.js';
import { sortKeyOf } from './directory.text.js';
import { actorOf } from './directory-units.service.js';
import {
  changedFields,
  checkExternalIds,
  checkLogin,
  checkUnits,
  unitNamesById,
  deleteLinks,
  insertLinks,
  insertStaff,
  sameSet,
  type StaffFields,
} from './directory.writes.js';

const SEARCHABLE: readonly string[] = [
  'login',
  'lastName',
  'firstName',
  'middleName',
  'position',
  'specialty',
];

/**
 * Staff members (DIR-1, DIR-3): create, update, deactivate, reactivate; never
 * hard-deleted. Passwords, roles and sessions go through identity's
 * {@link CredentialStore}. `onChanged` runs after each commit (search index).
 */
export class UsersService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly credentials: CredentialStore,
    private readonly onChanged: (userIds: string[]) => Promise<void>,
    /** Records cached by the search index (SQLite), or null: saves reads on every authenticated request. */
    private readonly cached: (
      ids: string[],
    ) => Promise<Map<string, StaffRecord> | null> = async () => null,
  ) {}

  async get(id: string): Promise<UserView> {
    const [view] = await loadViews(this.db.manager, this.credentials, [id]);
    if (!view) throw new AppError('directory.user_not_found', { field: 'id' });
    return view;
  }

  async findForLogin(login: string): Promise<{ id: string; active: boolean } | null> {
    const row = await this.db.manager.findOneBy(StaffEntity, { login: login.trim().toLowerCase() });
    return row ? { id: row.id, active: !!row.active } : null;
  }

  /** Whether the user exists and is active: the per-request check of identity, kept cheap. */
  async isActive(userId: string): Promise<boolean> {
    const record = (await this.cached([userId]))?.get(userId);
    if (record) return !!record.staff.active;
    const row = await this.db.manager.findOneBy(StaffEntity, { id: userId });
    return !!row?.active;
  }

  /** Views of several people (shared by callers asking together: do not mutate). */
  private readonly views = new BatchRead<string, UserView>(async (ids) => {
    const views = await loadViews(this.db.manager, this.credentials, ids, await this.cached(ids));
    return new Map(views.map((v) => [v.id, v]));
  }, 200);

  /**
   * Profiles of these people (missing ids are absent); concurrent callers
   * share one read. The views are shared: read them, do not change them.
   */
  profiles(ids: readonly string[]): Promise<Map<string, UserView>> {
    return this.views.getMany(ids);
  }

  async profile(userId: string): Promise<UserView | null> {
    const [view] = await loadViews(
      this.db.manager,
      this.credentials,
      [userId],
      await this.cached([userId]),
    );
    return view ?? null;
  }

  /** Hashes the password (unless a hash is given) before the transaction, then writes everything at once. */
  async create(
    ctx: CallContext,
    input: CreateUserRequest,
    options: { passwordHash?: string } = {},
  ): Promise<UserView> {
    const hash = options.passwordHash ?? (await this.credentials.hashPassword(input.password));
    const id = randomUUID();
    const fields = normalize(input);
    const unitIds = [...new Set(input.unitIds ?? [])];
    const externalIds = input.externalIds ?? [];
    const roles = input.roles ?? [defaultRoleFor(fields.category)];
    await this.db.transaction(async (tx) => {
      await checkLogin(tx, fields.login, null);
      const unitNames = await checkUnits(tx, input.unitIds ?? []);
      await checkExternalIds(tx, externalIds, null);
      await insertStaff(
        tx,
        [{ ...fields, id, unitIds, externalIds }],
        unitNames,
        iso(this.clock.now()),
      );
      await this.credentials.storePasswordHash(tx, id, hash);
      await this.credentials.setRoles(tx, id, roles);
      await this.audit.append(tx, {
        ...actorOf(ctx),
        action: 'directory.user.create',
        targetType: 'user',
        targetId: id,
        details: {
          category: fields.category,
          unitIds,
          roles,
          externalIdSystems: externalIds.map((e) => e.system),
        },
      });
    });
    await this.onChanged([id]);
    return this.get(id);
  }

  /** Changes the given fields; lists (units, external ids, roles) are replaced when given. */
  async update(ctx: CallContext, id: string, input: UpdateUserRequest): Promise<UserView> {
    const changed = await this.db.transaction(async (tx) => {
      const row = await tx.findOneBy(StaffEntity, { id });
      if (!row) throw new AppError('directory.user_not_found', { field: 'id' });
      const { unitIds, externalIds, roles, ...scalar } = input;
      const changed: string[] = changedFields<StaffFields>(row, scalar);
      if (scalar.login !== undefined && changed.includes('login'))
        await checkLogin(tx, scalar.login, id);
      const units = (await tx.findBy(StaffUnitEntity, { userId: id })).map((u) => u.unitId);
      const unitNames = unitIds ? await checkUnits(tx, unitIds) : await unitNamesById(tx, units);
      if (unitIds && !sameSet(unitIds, units)) changed.push('unitIds');
      const ext = await tx.findBy(StaffExternalIdEntity, { userId: id });
      const key = (e: { system: string; value: string }) => `${e.system}\u0000${e.value}`;
      if (externalIds) {
        await checkExternalIds(tx, externalIds, id);
        if (!sameSet(externalIds.map(key), ext.map(key))) changed.push('externalIds');
      }
      if (roles) {
        const current = (await this.credentials.rolesOf([id], tx)).get(id) ?? [];
        if (!sameSet(roles, current)) {
          if (current.includes('admin') && !roles.includes('admin')) {
            await this.credentials.guardAdminRemoval(tx, id);
          }
          await this.credentials.setRoles(tx, id, roles);
          changed.push('roles');
        }
      }
      if (changed.length === 0) return changed;
      const next: StaffRow = { ...row, ...scalar, updatedAt: iso(this.clock.now()) };
      next.sortKey = sortKeyOf(next);
      const { id: _id, createdAt: _c, ...patch } = next;
      await tx.update(StaffEntity, { id }, patch);
      if (changed.some((f) => SEARCHABLE.includes(f) || f === 'unitIds' || f === 'externalIds')) {
        await deleteLinks(tx, [id]);
        await insertLinks(
          tx,
          [{ ...next, unitIds: unitIds ?? units, externalIds: externalIds ?? ext }],
          unitNames,
        );
      }
      await this.audit.append(tx, {
        ...actorOf(ctx),
        action: 'directory.user.update',
        targetType: 'user',
        targetId: id,
        details: { changed },
      });
      return changed;
    });
    if (changed.length) await this.onChanged([id]);
    return this.get(id);
  }

  /** Marks the user inactive and revokes every session; idempotent. */
  async deactivate(ctx: CallContext, id: string): Promise<UserView> {
    await this.setActive(ctx, id, false);
    return this.get(id);
  }

  async reactivate(ctx: CallContext, id: string): Promise<UserView> {
    await this.setActive(ctx, id, true);
    return this.get(id);
  }

  private async setActive(ctx: CallContext, id: string, active: boolean): Promise<void> {
    const changed = await this.db.transaction(async (tx) => {
      const row = await tx.findOneBy(StaffEntity, { id });
      if (!row) throw new AppError('directory.user_not_found', { field: 'id' });
      if (!!row.active === active) return false;
      if (!active) await this.credentials.guardAdminRemoval(tx, id);
      const now = iso(this.clock.now());
      await tx.update(
        StaffEntity,
        { id },
        { active, updatedAt: now, deactivatedAt: active ? null : now },
      );
      const revokedSessions = active
        ? 0
        : await this.credentials.revokeAllSessions(tx, id, 'deactivated');
      await this.audit.append(tx, {
        ...actorOf(ctx),
        action: active ? 'directory.user.reactivate' : 'directory.user.deactivate',
        targetType: 'user',
        targetId: id,
        details: active ? {} : { revokedSessions },
      });
      return true;
    });
    if (changed) await this.onChanged([id]);
  }
}

function normalize(input: CreateUserRequest): StaffFields {
  return {
    login: input.login,
    lastName: input.lastName,
    firstName: input.firstName,
    middleName: input.middleName ?? null,
    position: input.position ?? null,
    specialty: input.specialty ?? null,
    category: input.category ?? 'other',
    phone: input.phone ?? null,
    extension: input.extension ?? null,
    email: input.email ?? null,
  };
}
