import { In, type EntityManager } from 'typeorm';
import { AppError, type ExternalId, type StaffCategory } from '@konsilium/shared';
import {
  OrgUnitEntity,
  StaffEntity,
  StaffExternalIdEntity,
  StaffSearchTokenEntity,
  StaffUnitEntity,
  type StaffRow,
} from './directory.entity.js';
import { chunks } from './directory.store.js';
import { sortKeyOf, staffTokens } from './directory.text.js';

/*
 * Validation against stored state and bulk writes of staff rows, shared by
 * single-user calls and the CSV import. Everything takes the caller's transaction.
 */

/** The stored fields of a staff member, normalized (nulls, lower-case login). */
export interface StaffFields {
  login: string;
  lastName: string;
  firstName: string;
  middleName: string | null;
  position: string | null;
  specialty: string | null;
  category: StaffCategory;
  phone: string | null;
  extension: string | null;
  email: string | null;
}

/** A staff member to insert, with links. */
export interface NewStaff extends StaffFields {
  id: string;
  unitIds: string[];
  externalIds: ExternalId[];
}

/** Refuses unknown or inactive units (`directory.unit_not_found`, field `unitIds.N`); returns their names. */
export async function checkUnits(
  tx: EntityManager,
  unitIds: readonly string[],
  field = 'unitIds',
): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (unitIds.length === 0) return names;
  const found = await tx.findBy(OrgUnitEntity, { id: In([...new Set(unitIds)]) });
  for (const u of found) if (u.active) names.set(u.id, u.name);
  unitIds.forEach((id, i) => {
    if (!names.has(id)) throw new AppError('directory.unit_not_found', { field: `${field}.${i}` });
  });
  return names;
}

/** Names of the given units, active or not. */
export async function unitNamesById(
  tx: EntityManager,
  unitIds: readonly string[],
): Promise<Map<string, string>> {
  if (unitIds.length === 0) return new Map();
  const found = await tx.findBy(OrgUnitEntity, { id: In([...new Set(unitIds)]) });
  return new Map(found.map((u) => [u.id, u.name]));
}

/** Refuses a login held by someone else (`directory.login_taken`). */
export async function checkLogin(
  tx: EntityManager,
  login: string,
  selfId: string | null,
): Promise<void> {
  const other = await tx.findOneBy(StaffEntity, { login });
  if (other && other.id !== selfId) throw new AppError('directory.login_taken', { field: 'login' });
}

/** Refuses repeated ids in the list and ids owned by someone else (`directory.external_id_taken`). */
export async function checkExternalIds(
  tx: EntityManager,
  ids: readonly ExternalId[],
  selfId: string | null,
): Promise<void> {
  const seen = new Set<string>();
  for (const [i, e] of ids.entries()) {
    const key = `${e.system}\u0000${e.value}`;
    if (seen.has(key)) {
      throw new AppError('validation.invalid', {
        field: `externalIds.${i}`,
        message: 'The same external id is given twice',
      });
    }
    seen.add(key);
    const owner = await tx.findOneBy(StaffExternalIdEntity, { system: e.system, value: e.value });
    if (owner && owner.userId !== selfId)
      throw new AppError('directory.external_id_taken', { field: `externalIds.${i}` });
  }
}

/** Inserts staff rows with their units, external ids and search tokens (no credentials, no audit). */
export async function insertStaff(
  tx: EntityManager,
  people: readonly NewStaff[],
  unitNames: ReadonlyMap<string, string>,
  now: string,
): Promise<void> {
  const rows: StaffRow[] = people.map((p) => ({
    id: p.id,
    login: p.login,
    lastName: p.lastName,
    firstName: p.firstName,
    middleName: p.middleName,
    position: p.position,
    specialty: p.specialty,
    category: p.category,
    phone: p.phone,
    extension: p.extension,
    email: p.email,
    active: true,
    sortKey: sortKeyOf(p),
    createdAt: now,
    updatedAt: now,
    deactivatedAt: null,
  }));
  for (const part of chunks(rows, 100)) await tx.insert(StaffEntity, part);
  await insertLinks(tx, people, unitNames);
}

/** Inserts units, external ids and tokens of `people` (whose old links were deleted). */
export async function insertLinks(
  tx: EntityManager,
  people: readonly NewStaff[],
  unitNames: ReadonlyMap<string, string>,
): Promise<void> {
  const units = people.flatMap((p) =>
    [...new Set(p.unitIds)].map((unitId) => ({ userId: p.id, unitId })),
  );
  const ext = people.flatMap((p) =>
    p.externalIds.map((e) => ({ system: e.system, value: e.value, userId: p.id })),
  );
  const tokens = people.flatMap((p) =>
    staffTokens(
      p.id,
      p,
      [...new Set(p.unitIds)].map((u) => unitNames.get(u) ?? ''),
    ),
  );
  for (const part of chunks(units, 300)) await tx.insert(StaffUnitEntity, part);
  for (const part of chunks(ext, 200)) await tx.insert(StaffExternalIdEntity, part);
  for (const part of chunks(tokens, 300)) await tx.insert(StaffSearchTokenEntity, part);
}

/** Deletes the units, external ids and tokens of the given users (before {@link insertLinks}). */
export async function deleteLinks(tx: EntityManager, userIds: readonly string[]): Promise<void> {
  for (const part of chunks(userIds)) {
    await tx.delete(StaffUnitEntity, { userId: In(part) });
    await tx.delete(StaffExternalIdEntity, { userId: In(part) });
    await tx.delete(StaffSearchTokenEntity, { userId: In(part) });
  }
}

/** Names of the fields that differ between `before` and `after` (only keys present in `after`). */
export function changedFields<T extends object>(
  before: T,
  after: Partial<T>,
): (keyof T & string)[] {
  return (Object.keys(after) as (keyof T & string)[]).filter(
    (k) => after[k] !== undefined && after[k] !== before[k],
  );
}

/** True when two lists hold the same items, ignoring order and repeats. */
export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}
