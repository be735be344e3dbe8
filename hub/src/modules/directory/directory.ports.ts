import type { EntityManager } from 'typeorm';
import type { PresenceView, Role } from '@konsilium/shared';

/**
 * What the directory needs of identity (passwords, roles, sessions);
 * implemented by the identity module, wired in `hub.ts`. Methods taking `tx`
 * write inside the caller's transaction.
 */
export interface CredentialStore {
  /** argon2id hash of a password; slow by design, so call it before opening a transaction. */
  hashPassword(password: string): Promise<string>;
  /** Stores a hash made by {@link hashPassword} as the user's password. */
  storePasswordHash(tx: EntityManager, userId: string, hash: string): Promise<void>;
  /** Replaces the user's roles. */
  setRoles(tx: EntityManager, userId: string, roles: readonly Role[]): Promise<void>;
  /** Throws `auth.last_admin` if the user is the last active administrator (before deactivating or dropping the role). */
  guardAdminRemoval(tx: EntityManager, userId: string): Promise<void>;
  /** Roles of each user (users without roles map to []). */
  rolesOf(userIds: readonly string[], manager?: EntityManager): Promise<Map<string, Role[]>>;
  /** Revokes every open session of the user (deactivation); returns how many. */
  revokeAllSessions(tx: EntityManager, userId: string, reason: string): Promise<number>;
}

/**
 * Presence and current duties of people (DIR-5), for search results and
 * profiles; implemented by rosters, wired in `hub.ts`.
 */
export interface DirectoryPresence {
  /** The presence of these people, in the same order. */
  views(userIds: readonly string[]): Promise<PresenceView[]>;
  /** Same, and `watcherId` now watches exactly these people (changes are pushed to them). */
  watch(watcherId: string, userIds: readonly string[]): Promise<PresenceView[]>;
}
