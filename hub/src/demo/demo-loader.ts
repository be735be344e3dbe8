import { defaultRoleFor, type Role } from '@konsilium/shared';
import type { Database } from '../platform/db/database.js';
import { SYSTEM } from '../platform/http/actor.js';
import type { Logger } from '../platform/log/logger.js';
import type { CredentialStore, DirectoryService } from '../modules/directory/index.js';
import { LAB_SENDER_ID } from '../modules/alerting/index.js';
import { DEMO_PASSWORD, DEMO_STAFF, DEMO_UNITS } from './demo-data.js';

/** The MIS practitioner identifier system used by the demo. */
export const DEMO_MIS_SYSTEM = 'urn:konsilium:demo-mis:practitioner';

/**
 * Loads the demo hospital into an empty database (no staff yet); does nothing
 * otherwise, so `npm start` can be run again over the same data directory.
 */
export async function loadDemoHospital(deps: {
  db: Database;
  directory: DirectoryService;
  credentials: CredentialStore;
  log: Logger;
}): Promise<boolean> {
  // The laboratory sender (a system account every database has) does not count as staff.
  const rows: { n: string | number }[] = await deps.db.manager.query(
    `SELECT COUNT(*) AS n FROM staff WHERE id <> ${deps.db.kind === 'postgres' ? '$1' : '?'}`,
    [LAB_SENDER_ID],
  );
  if (Number(rows[0]?.n ?? 0) > 0) return false;
  const unitIds = new Map<string, string>();
  for (const u of DEMO_UNITS) {
    const parentId = u.parent ? unitIds.get(u.parent) : null;
    const created = await deps.directory.createUnit(SYSTEM, {
      kind: u.kind,
      name: u.name,
      code: u.code,
      parentId: parentId ?? null,
      ...(u.timeZone ? { timeZone: u.timeZone } : {}),
    });
    unitIds.set(u.code, created.id);
  }
  // One hash for every demo account: argon2 is slow on purpose, and these share a password anyway.
  const passwordHash = await deps.credentials.hashPassword(DEMO_PASSWORD);
  for (const s of DEMO_STAFF) {
    const roles: Role[] = [...new Set<Role>([defaultRoleFor(s.category), ...s.extraRoles])];
    await deps.directory.createUser(
      SYSTEM,
      {
        login: s.login,
        password: DEMO_PASSWORD,
        lastName: s.lastName,
        firstName: s.firstName,
        middleName: s.middleName,
        position: s.position,
        specialty: s.specialty,
        category: s.category,
        unitIds: s.units.map((c) => unitIds.get(c)!),
        externalIds: [{ system: DEMO_MIS_SYSTEM, value: s.misId }],
        extension: s.extension,
        roles,
      },
      { passwordHash },
    );
  }
  deps.log.info({ units: DEMO_UNITS.length, staff: DEMO_STAFF.length }, 'demo hospital loaded');
  return true;
}
