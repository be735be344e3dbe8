/** Staff categories (DIR-3): who a person is professionally. */
export const STAFF_CATEGORIES = [
  'physician',
  'resident',
  'nurse',
  'administrator',
  'registrar',
  'technician',
  'other',
] as const;
export type StaffCategory = (typeof STAFF_CATEGORIES)[number];

/** Levels of the organization tree (DIR-4), top to bottom. */
export const UNIT_KINDS = ['organization', 'site', 'department', 'unit'] as const;
export type UnitKind = (typeof UNIT_KINDS)[number];

/** The kind a unit's parent must have; an organization has no parent. */
export const PARENT_KIND: Record<UnitKind, UnitKind | null> = {
  organization: null,
  site: 'organization',
  department: 'site',
  unit: 'department',
};

/** Permissions checked by the hub's route table (SEC-2). */
export const PERMISSIONS = [
  'directory.read',
  'directory.manage',
  'directory.import',
  'sessions.manage_all',
  'audit.read',
  'rosters.manage',
  'messaging.use',
  'messaging.broadcast',
  'results.ingest',
  'results.read',
  'escalation.manage',
  'escalation.view_all',
  /** Edit notification policies (ESC-3, ESC-4). */
  'notify.manage',
  /** Read communication metrics (ADM-1). */
  'metrics.view',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Roles a staff member can hold; each grants a set of permissions. */
export const ROLES = [
  'admin',
  'coordinator',
  'clinician',
  'nurse',
  'registrar',
  'technician',
  'auditor',
  'integration',
] as const;
export type Role = (typeof ROLES)[number];

const EVERYONE: readonly Permission[] = ['directory.read', 'messaging.use'];
/** Clinical staff read lab results (the patient's feed). */
const CLINICAL: readonly Permission[] = [...EVERYONE, 'results.read'];

/** What each role may do. A user's permissions are the union over their roles. */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: [...PERMISSIONS],
  coordinator: [...CLINICAL, 'rosters.manage', 'messaging.broadcast'],
  clinician: CLINICAL,
  nurse: CLINICAL,
  registrar: EVERYONE,
  technician: EVERYONE,
  auditor: ['directory.read', 'audit.read'],
  /** A machine account of the MIS/LIS pushing results (FHIR endpoint); nothing else. */
  integration: ['results.ingest'],
};

/** The union of the permissions granted by `roles`. */
export function permissionsOf(roles: readonly Role[]): Set<Permission> {
  const result = new Set<Permission>();
  for (const role of roles) for (const p of ROLE_PERMISSIONS[role]) result.add(p);
  return result;
}

/** The role a new staff member gets from their category when none is given. */
export function defaultRoleFor(category: StaffCategory): Role {
  switch (category) {
    case 'physician':
    case 'resident':
      return 'clinician';
    case 'nurse':
      return 'nurse';
    case 'registrar':
      return 'registrar';
    case 'administrator':
      return 'coordinator';
    case 'technician':
    case 'other':
      return 'technician';
  }
}
