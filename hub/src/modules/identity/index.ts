import type { HubConfig } from '../../config/index.js';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { EventBus } from '../../platform/events.js';
import type { Authenticator } from '../../platform/http/actor.js';
import type { Logger } from '../../platform/log/logger.js';
import type { HubModule } from '../../platform/module.js';
import type { AuditLog } from '../audit/index.js';
import { In } from 'typeorm';
import { StaffRoleEntity } from './identity.entity.js';
import { PasswordHasher } from './identity.passwords.js';
import type { IdentityUserLookup } from './identity.ports.js';
import { identityRoutes } from './identity.routes.js';
import { IdentityService } from './identity.service.js';
import { AccountService } from './identity-accounts.service.js';
import { SessionStore, rolesOf } from './identity.sessions.js';

export { IDENTITY_ENTITIES } from './identity.entity.js';
export type { IdentityUserLookup } from './identity.ports.js';
export { hashToken } from './identity.sessions.js';

export interface IdentityDeps {
  db: Database;
  bus: EventBus;
  audit: AuditLog;
  clock: Clock;
  config: HubConfig;
  log: Logger;
  /** The directory's lookup, resolved lazily (the directory is built after identity). */
  users: () => IdentityUserLookup;
}

/** Builds the identity module: sign-in, sessions, passwords, roles, and the hub's authenticator. */
export function createIdentity(deps: IdentityDeps) {
  const { db, config } = deps;
  const hasher = new PasswordHasher({
    memoryCost: config.argon2MemoryKib,
    timeCost: config.argon2TimeCost,
  });
  const sessions = new SessionStore(
    db,
    deps.clock,
    { idleSeconds: config.sessionIdleSeconds, absoluteSeconds: config.sessionAbsoluteSeconds },
    deps.bus,
  );
  const policy = {
    lockoutSeconds: config.loginLockoutSeconds,
    lockoutMaxSeconds: config.loginLockoutMaxSeconds,
  };
  const service = new IdentityService({
    ...deps,
    hasher,
    sessions,
    accountPolicy: { ...policy, maxFailures: config.loginMaxFailuresPerAccount },
    addressPolicy: { ...policy, maxFailures: config.loginMaxFailuresPerAddress },
  });
  const accounts = new AccountService({ ...deps, hasher, sessions });
  const authenticate: Authenticator = (token) =>
    sessions.authenticate(token, (userId) => deps.users().isActive(userId));
  const module: HubModule = {
    name: 'identity',
    routes: identityRoutes(service, accounts, sessions, deps.users),
  };
  return {
    module,
    authenticate,
    /** Satisfies the directory's CredentialStore port (structurally; wired in hub.ts). */
    credentials: {
      hashPassword: (password: string) => hasher.hash(password),
      storePasswordHash: accounts.storePasswordHash.bind(accounts),
      setRoles: accounts.setRoles.bind(accounts),
      guardAdminRemoval: accounts.guardAdminRemoval.bind(accounts),
      rolesOf: (ids: readonly string[], manager = db.manager) => rolesOf(manager, ids),
      /** Users holding any of these roles (active or not; callers filter). */
      usersWithRoles: async (roles: readonly string[]) =>
        roles.length === 0
          ? []
          : [
              ...new Set(
                (await db.manager.findBy(StaffRoleEntity, { role: In([...roles]) })).map(
                  (r) => r.userId,
                ),
              ),
            ],
      revokeAllSessions: (
        tx: Parameters<SessionStore['revokeAll']>[0],
        userId: string,
        reason: string,
      ) => sessions.revokeAll(tx, userId, reason),
    },
  };
}
