import { In, type EntityManager } from 'typeorm';
import { fullName, shortName, type Role, type UserView } from '@konsilium/shared';
import type { CredentialStore } from './directory.ports.js';
import {
  OrgUnitEntity,
  StaffEntity,
  StaffExternalIdEntity,
  StaffSearchTokenEntity,
  StaffUnitEntity,
  type StaffRow,
} from './directory.entity.js';
import { staffTokens } from './directory.text.js';

/*
 * Low-level reads and writes shared by the users, units and import services.
 * Writers take the caller's transaction manager.
 */

/** SQLite caps bound parameters per statement; chunk big IN lists and inserts. */
export const CHUNK = 400;

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Unit names per user (only the units the user is a direct member of). */
export async function unitNamesOf(
  m: EntityManager,
  userIds: readonly string[],
): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  for (const part of chunks(userIds)) {
    const rows: { user_id: string; name: string }[] = await m
      .createQueryBuilder(StaffUnitEntity, 'su')
      .innerJoin(OrgUnitEntity.options.name, 'u', 'u.id = su.unit_id')
      .select(['su.user_id AS user_id', 'u.name AS name'])
      .where('su.user_id IN (:...ids)', { ids: part })
      .getRawMany();
    for (const r of rows) result.set(r.user_id, [...(result.get(r.user_id) ?? []), r.name]);
  }
  return result;
}

/** Rewrites the search tokens of the given users from their stored rows. */
export async function reindexUsers(tx: EntityManager, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  for (const part of chunks(userIds)) {
    await tx.delete(StaffSearchTokenEntity, { userId: In(part) });
    const staff = await tx.findBy(StaffEntity, { id: In(part) });
    const names = await unitNamesOf(tx, part);
    const tokens = staff.flatMap((s) => staffTokens(s.id, s, names.get(s.id) ?? []));
    for (const batch of chunks(tokens, 300)) await tx.insert(StaffSearchTokenEntity, batch);
  }
}

/** A staff row with its memberships and external ids, ready to become a view. */
export interface StaffRecord {
  staff: StaffRow;
  units: { id: string; name: string }[];
  externalIds: { system: string; value: string }[];
}

/** Loads full records of the given users (missing ids are skipped), in no particular order. */
export async function loadRecords(
  m: EntityManager,
  ids: readonly string[],
): Promise<Map<string, StaffRecord>> {
  const out = new Map<string, StaffRecord>();
  for (const part of chunks(ids)) {
    for (const staff of await m.findBy(StaffEntity, { id: In(part) })) {
      out.set(staff.id, { staff, units: [], externalIds: [] });
    }
    const units: { user_id: string; id: string; name: string }[] = await m
      .createQueryBuilder(StaffUnitEntity, 'su')
      .innerJoin(OrgUnitEntity.options.name, 'u', 'u.id = su.unit_id')
      .select(['su.user_id AS user_id', 'u.id AS id', 'u.name AS name'])
      .where('su.user_id IN (:...ids)', { ids: part })
      .getRawMany();
    for (const u of units) out.get(u.user_id)?.units.push({ id: u.id, name: u.name });
    for (const e of await m.findBy(StaffExternalIdEntity, { userId: In(part) })) {
      out.get(e.userId)?.externalIds.push({ system: e.system, value: e.value });
    }
  }
  for (const r of out.values()) {
    r.units.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1));
    r.externalIds.sort((a, b) => (a.system + a.value < b.system + b.value ? -1 : 1));
  }
  return out;
}

/** The wire view of a record. */
export function toView(r: StaffRecord, roles: Role[]): UserView {
  const s = r.staff;
  return {
    id: s.id,
    login: s.login,
    lastName: s.lastName,
    firstName: s.firstName,
    middleName: s.middleName,
    fullName: fullName(s.lastName, s.firstName, s.middleName),
    shortName: shortName(s.lastName, s.firstName, s.middleName),
    position: s.position,
    specialty: s.specialty,
    category: s.category,
    units: r.units,
    externalIds: r.externalIds,
    phone: s.phone,
    extension: s.extension,
    email: s.email,
    roles,
    active: !!s.active,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/** Views of `ids` in the given order (missing ids are skipped); roles come from identity. */
export async function loadViews(
  m: EntityManager,
  credentials: CredentialStore,
  ids: readonly string[],
  cached?: Map<string, StaffRecord> | null,
): Promise<UserView[]> {
  if (ids.length === 0) return [];
  const records = cached && ids.every((id) => cached.has(id)) ? cached : await loadRecords(m, ids);
  const roles = await credentials.rolesOf([...records.keys()], m);
  return ids.flatMap((id) => {
    const r = records.get(id);
    return r ? [toView(r, roles.get(id) ?? [])] : [];
  });
}
