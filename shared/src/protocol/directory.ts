import { z } from 'zod';
import { Id, Page, Text } from './common.js';
import { ROLES, STAFF_CATEGORIES, UNIT_KINDS } from '../domain/vocabularies.js';
import { isValidTimeZone } from '../domain/time-zone.js';
import { Password } from './auth.js';
import type { PresenceView } from '../rosters.js';

export const TimeZone = z.string().refine(isValidTimeZone, 'must be an IANA time zone');

/** External identifier of a person in another system (MIS practitioner id, SNILS). */
export const ExternalId = z
  .object({
    system: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .regex(/^[\w.:/-]+$/, 'letters, digits and . : / - _ only'),
    value: Text(200),
  })
  .strict();
export type ExternalId = z.infer<typeof ExternalId>;

const Login = z
  .string()
  .trim()
  .min(2)
  .max(64)
  .regex(/^[a-zA-Z0-9._-]+$/, 'Latin letters, digits and . _ - only')
  .transform((s) => s.toLowerCase());

const Name = Text(80).regex(
  /^[\p{L}][\p{L}' .-]*$/u,
  'letters, spaces, apostrophes and hyphens only',
);

const staffFields = {
  lastName: Name,
  firstName: Name,
  middleName: Name.nullish(),
  position: Text(200).nullish(),
  specialty: Text(200).nullish(),
  category: z.enum(STAFF_CATEGORIES).optional(),
  unitIds: z.array(Id).max(50).optional(),
  externalIds: z.array(ExternalId).max(20).optional(),
  phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9 ()-]{3,32}$/, 'digits, spaces, + ( ) - only')
    .nullish(),
  extension: z
    .string()
    .trim()
    .regex(/^[0-9]{1,10}$/, 'digits only')
    .nullish(),
  email: z.string().trim().email().max(200).nullish(),
  roles: z.array(z.enum(ROLES)).max(ROLES.length).optional(),
};

/** `POST /api/v1/directory/users` (admin). */
export const CreateUserRequest = z
  .object({ login: Login, password: Password, ...staffFields })
  .strict();
export type CreateUserRequest = z.infer<typeof CreateUserRequest>;

/** `PATCH /api/v1/directory/users/:id` (admin): any subset of the fields. */
export const UpdateUserRequest = z
  .object({ login: Login, ...staffFields })
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'nothing to change');
export type UpdateUserRequest = z.infer<typeof UpdateUserRequest>;

/** `GET /api/v1/directory/users` */
export const SearchUsersQuery = Page.extend({
  q: z.string().max(200).optional(),
  unitId: Id.optional(),
  category: z.enum(STAFF_CATEGORIES).optional(),
  position: z.string().max(200).optional(),
  specialty: z.string().max(200).optional(),
  includeInactive: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
}).strict();
export type SearchUsersQuery = z.infer<typeof SearchUsersQuery>;

/** `POST /api/v1/directory/units` (admin). */
export const CreateUnitRequest = z
  .object({
    kind: z.enum(UNIT_KINDS),
    name: Text(200),
    parentId: Id.nullish(),
    code: z
      .string()
      .trim()
      .regex(/^[\w.-]{1,64}$/, 'letters, digits, . _ - only')
      .nullish(),
    timeZone: TimeZone.optional(),
  })
  .strict();
export type CreateUnitRequest = z.infer<typeof CreateUnitRequest>;

/** `PATCH /api/v1/directory/units/:id` (admin). */
export const UpdateUnitRequest = z
  .object({
    name: Text(200),
    code: z
      .string()
      .trim()
      .regex(/^[\w.-]{1,64}$/)
      .nullable(),
    timeZone: TimeZone,
  })
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'nothing to change');

/** A staff member as the directory returns it. */
export interface UserView {
  id: string;
  login: string;
  lastName: string;
  firstName: string;
  middleName: string | null;
  fullName: string;
  shortName: string;
  position: string | null;
  specialty: string | null;
  category: (typeof STAFF_CATEGORIES)[number];
  units: { id: string; name: string }[];
  externalIds: ExternalId[];
  phone: string | null;
  extension: string | null;
  email: string | null;
  roles: (typeof ROLES)[number][];
  active: boolean;
  createdAt: string;
  updatedAt: string;
  /**
   * Presence and current duties (DIR-5): set in `GET /api/v1/directory/users`
   * results and `GET /api/v1/directory/users/{id}`, absent elsewhere.
   */
  presence?: PresenceView;
}

/** A node of the organization tree. */
export interface UnitView {
  id: string;
  kind: (typeof UNIT_KINDS)[number];
  name: string;
  code: string | null;
  parentId: string | null;
  timeZone: string;
  active: boolean;
  children: UnitView[];
}

/** `POST /api/v1/directory/import` query. */
export const ImportQuery = z
  .object({
    dryRun: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .default('false'),
    encoding: z.enum(['auto', 'utf-8', 'windows-1251']).default('auto'),
  })
  .strict();

/** One problem found in an import file. */
export interface ImportProblem {
  /** 1-based line number in the file (the header is line 1). */
  line: number;
  field?: string;
  reason: string;
}

/** The report of an import, dry or real. */
export interface ImportReport {
  dryRun: boolean;
  encoding: 'utf-8' | 'windows-1251';
  separator: ';' | ',';
  lines: number;
  created: number;
  updated: number;
  unchanged: number;
  problems: ImportProblem[];
  /** How many problems there were (the list is capped at 1,000). */
  problemCount?: number;
  /** Things ignored without failing the import (unknown columns, line 1). */
  warnings?: ImportProblem[];
}

/** `PATCH /api/v1/directory/units/:id` body, as parsed. */
export type UpdateUnitRequest = z.infer<typeof UpdateUnitRequest>;

/** `GET /api/v1/directory/units` query. */
export const ListUnitsQuery = z
  .object({
    includeInactive: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
  })
  .strict();
