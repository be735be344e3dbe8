import { EntitySchema } from 'typeorm';
import type { StaffCategory, UnitKind } from '@konsilium/shared';

/*
 * The directory's tables (created by the foundation migration). Column names
 * are snake_case in the database and camelCase here; times are UTC ISO text.
 */

/** A node of the organization tree: organization → site → department → unit. */
export interface OrgUnitRow {
  id: string;
  kind: UnitKind;
  name: string;
  code: string | null;
  parentId: string | null;
  timeZone: string;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export const OrgUnitEntity = new EntitySchema<OrgUnitRow>({
  name: 'OrgUnit',
  tableName: 'org_unit',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    kind: { type: 'varchar', length: 16 },
    name: { type: 'varchar', length: 200 },
    code: { type: 'varchar', length: 64, nullable: true },
    parentId: { name: 'parent_id', type: 'varchar', length: 36, nullable: true },
    timeZone: { name: 'time_zone', type: 'varchar', length: 64 },
    active: { type: 'boolean', default: true },
    createdAt: { name: 'created_at', type: 'varchar', length: 30 },
    updatedAt: { name: 'updated_at', type: 'varchar', length: 30 },
  },
});

/** A staff member (never hard-deleted; `active` false after deactivation). */
export interface StaffRow {
  id: string;
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
  active: boolean;
  /** Folded "last first middle": the default order of lists and ties in search. */
  sortKey: string;
  createdAt: string;
  updatedAt: string;
  deactivatedAt: string | null;
}

export const StaffEntity = new EntitySchema<StaffRow>({
  name: 'Staff',
  tableName: 'staff',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    login: { type: 'varchar', length: 64 },
    lastName: { name: 'last_name', type: 'varchar', length: 80 },
    firstName: { name: 'first_name', type: 'varchar', length: 80 },
    middleName: { name: 'middle_name', type: 'varchar', length: 80, nullable: true },
    position: { type: 'varchar', length: 200, nullable: true },
    specialty: { type: 'varchar', length: 200, nullable: true },
    category: { type: 'varchar', length: 20 },
    phone: { type: 'varchar', length: 32, nullable: true },
    extension: { type: 'varchar', length: 10, nullable: true },
    email: { type: 'varchar', length: 200, nullable: true },
    active: { type: 'boolean', default: true },
    sortKey: { name: 'sort_key', type: 'varchar', length: 300 },
    createdAt: { name: 'created_at', type: 'varchar', length: 30 },
    updatedAt: { name: 'updated_at', type: 'varchar', length: 30 },
    deactivatedAt: { name: 'deactivated_at', type: 'varchar', length: 30, nullable: true },
  },
});

/** Membership of a staff member in a unit (any level of the tree). */
export interface StaffUnitRow {
  userId: string;
  unitId: string;
}

export const StaffUnitEntity = new EntitySchema<StaffUnitRow>({
  name: 'StaffUnit',
  tableName: 'staff_unit',
  columns: {
    userId: { name: 'user_id', type: 'varchar', length: 36, primary: true },
    unitId: { name: 'unit_id', type: 'varchar', length: 36, primary: true },
  },
});

/** An identifier of the person in another system; (system, value) belongs to one person. */
export interface StaffExternalIdRow {
  system: string;
  value: string;
  userId: string;
}

export const StaffExternalIdEntity = new EntitySchema<StaffExternalIdRow>({
  name: 'StaffExternalId',
  tableName: 'staff_external_id',
  columns: {
    system: { type: 'varchar', length: 200, primary: true },
    value: { type: 'varchar', length: 200, primary: true },
    userId: { name: 'user_id', type: 'varchar', length: 36 },
  },
});

/** Which searchable field a token came from. */
export const SEARCH_FIELDS = [
  'last',
  'first',
  'middle',
  'login',
  'position',
  'specialty',
  'unit',
] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];

/** One folded word of one searchable field of a staff member (the search index). */
export interface StaffSearchTokenRow {
  token: string;
  userId: string;
  field: SearchField;
}

export const StaffSearchTokenEntity = new EntitySchema<StaffSearchTokenRow>({
  name: 'StaffSearchToken',
  tableName: 'staff_search_token',
  columns: {
    token: { type: 'varchar', length: 200, primary: true },
    userId: { name: 'user_id', type: 'varchar', length: 36, primary: true },
    field: { type: 'varchar', length: 16, primary: true },
  },
});

export const DIRECTORY_ENTITIES = [
  OrgUnitEntity,
  StaffEntity,
  StaffUnitEntity,
  StaffExternalIdEntity,
  StaffSearchTokenEntity,
];
