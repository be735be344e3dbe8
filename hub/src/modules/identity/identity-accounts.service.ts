import type { EntityManager } from 'typeorm';
import { AppError, type ChangePasswordRequest, type Role } from '@konsilium/shared';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import { callContext, type Actor, type RequestMeta } from '../../platform/http/actor.js';
import type { AuditLog } from '../audit/index.js';
import { CredentialEntity, StaffRoleEntity } from './identity.entity.js';
import type { PasswordHasher } from './identity.passwords.js';
import type { IdentityUserLookup } from './identity.ports.js';
import { rolesOf, type SessionStore } from './identity.sessions.js';

export interface AccountServiceDeps {
  db: Database;
  audit: AuditLog;
  clock: Clock;
  hasher: PasswordHasher;
  sessions: SessionStore;
  users: () => IdentityUserLookup;
}

/** `directory.user_not_found` unless the user exists. */
export async function requireUser(users: () => IdentityUserLookup, userId: string): Promise<void> {
  if (!(await users().profile(userId))) throw new AppError('directory.user_not_found');
}

/** Passwords and roles of accounts: self-service change, admin reset, role assignment. */
export class AccountService {
  constructor(private readonly d: AccountServiceDeps) {}

  /** Changes the caller's password and closes their other sessions. */
  async changePassword(
    actor: Actor,
    input: ChangePasswordRequest,
    meta: RequestMeta,
  ): Promise<number> {
    const cred = await this.d.db.manager.findOneBy(CredentialEntity, { userId: actor.userId });
    if (!cred || !(await this.d.hasher.verify(cred.passwordHash, input.currentPassword))) {
      await this.d.db.transaction((tx) =>
        this.d.audit.append(tx, {
          ...callContext(actor, meta),
          action: 'auth.password.change',
          outcome: 'failure',
          targetType: 'user',
          targetId: actor.userId,
          details: { reason: 'wrong_password' },
        }),
      );
      throw new AppError('auth.wrong_password', { field: 'currentPassword' });
    }
    if (input.newPassword === input.currentPassword) {
      throw new AppError('auth.weak_password', {
        field: 'newPassword',
        message: 'The new password must differ from the current one',
      });
    }
    const hash = await this.d.hasher.hash(input.newPassword);
    return this.d.db.transaction(async (tx) => {
      await this.storePasswordHash(tx, actor.userId, hash);
      const n = await this.d.sessions.revokeAll(
        tx,
        actor.userId,
        'password_changed',
        actor.sessionId,
      );
      await this.d.audit.append(tx, {
        ...callContext(actor, meta),
        action: 'auth.password.change',
        targetType: 'user',
        targetId: actor.userId,
        details: { revokedSessions: n },
      });
      return n;
    });
  }

  /** An administrator sets a user's password; all that user's sessions close. */
  async resetPassword(
    actor: Actor,
    userId: string,
    password: string,
    meta: RequestMeta,
  ): Promise<void> {
    await requireUser(this.d.users, userId);
    const hash = await this.d.hasher.hash(password);
    await this.d.db.transaction(async (tx) => {
      await this.storePasswordHash(tx, userId, hash);
      const n = await this.d.sessions.revokeAll(tx, userId, 'password_reset');
      await this.d.audit.append(tx, {
        ...callContext(actor, meta),
        action: 'auth.password.reset',
        targetType: 'user',
        targetId: userId,
        details: { revokedSessions: n },
      });
    });
  }

  /** Replaces a user's roles; the last active administrator cannot lose the admin role. */
  async assignRoles(
    actor: Actor,
    userId: string,
    roles: Role[],
    meta: RequestMeta,
  ): Promise<Role[]> {
    await requireUser(this.d.users, userId);
    const unique = [...new Set(roles)];
    return this.d.db.transaction(async (tx) => {
      const before = (await rolesOf(tx, [userId])).get(userId) ?? [];
      if (before.includes('admin') && !unique.includes('admin')) {
        await this.guardAdminRemoval(tx, userId);
      }
      await this.setRoles(tx, userId, unique);
      await this.d.audit.append(tx, {
        ...callContext(actor, meta),
        action: 'auth.roles.set',
        targetType: 'user',
        targetId: userId,
        details: { before, after: unique },
      });
      return unique;
    });
  }

  async storePasswordHash(tx: EntityManager, userId: string, hash: string): Promise<void> {
    await tx.save(CredentialEntity, {
      userId,
      passwordHash: hash,
      changedAt: this.d.clock.now().toISOString(),
    });
  }

  async setRoles(tx: EntityManager, userId: string, roles: readonly Role[]): Promise<void> {
    await tx.delete(StaffRoleEntity, { userId });
    for (const role of new Set(roles)) await tx.insert(StaffRoleEntity, { userId, role });
  }

  /**
   * Refuses (`auth.last_admin`) to let `userId` stop being an active administrator
   * when no other active administrator would remain: role changes and deactivation.
   */
  async guardAdminRemoval(tx: EntityManager, userId: string): Promise<void> {
    const admins = await tx.find(StaffRoleEntity, { where: { role: 'admin' } });
    if (!admins.some((a) => a.userId === userId)) return;
    for (const a of admins) {
      if (a.userId !== userId && (await this.d.users().isActive(a.userId))) return;
    }
    throw new AppError('auth.last_admin');
  }
}
