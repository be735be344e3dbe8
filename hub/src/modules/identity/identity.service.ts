import { createHash } from 'node:crypto';
import {
  AppError,
  permissionsOf,
  type LoginRequest,
  type LoginResponse,
  type Role,
} from '@konsilium/shared';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import { callContext, type Actor, type RequestMeta } from '../../platform/http/actor.js';
import type { Logger } from '../../platform/log/logger.js';
import type { AuditLog } from '../audit/index.js';
import { AuthSessionEntity, AuthThrottleEntity, CredentialEntity } from './identity.entity.js';
import type { PasswordHasher } from './identity.passwords.js';
import type { IdentityUserLookup } from './identity.ports.js';
import { rolesOf, type SessionStore } from './identity.sessions.js';
import { requireUser } from './identity-accounts.service.js';
import {
  clearFailures,
  lockedUntil,
  recordFailure,
  throttleKeys,
  type ThrottlePolicy,
} from './identity.throttle.js';

export interface IdentityServiceDeps {
  db: Database;
  audit: AuditLog;
  clock: Clock;
  log: Logger;
  hasher: PasswordHasher;
  sessions: SessionStore;
  users: () => IdentityUserLookup;
  accountPolicy: ThrottlePolicy;
  addressPolicy: ThrottlePolicy;
}

/** Sign-in, sign-out, passwords and roles (SEC-2, SEC-3). */
export class IdentityService {
  constructor(private readonly d: IdentityServiceDeps) {}

  private async lockOf(key: string): Promise<Date | null> {
    return lockedUntil(
      await this.d.db.manager.findOneBy(AuthThrottleEntity, { key }),
      this.d.clock.now(),
    );
  }

  /** An address is trusted for an account when that account signed in from it before. */
  private async trustedAddress(userId: string, ip: string): Promise<boolean> {
    return (await this.d.db.manager.countBy(AuthSessionEntity, { userId, ip })) > 0;
  }

  private throttled(until: Date): AppError {
    const retryAfterSeconds = Math.max(
      1,
      Math.ceil((until.getTime() - this.d.clock.now().getTime()) / 1000),
    );
    return new AppError('auth.throttled', { details: { retryAfterSeconds } });
  }

  /**
   * Checks the password and opens a session. Locks are checked before the
   * password, so a locked-out attacker learns nothing. An account lock does not
   * apply to an address the account signed in from before: an attacker can
   * slow a victim's colleagues, not lock the victim's own workstation out.
   */
  async login(input: LoginRequest, meta: RequestMeta): Promise<LoginResponse> {
    const login = input.login.toLowerCase();
    const ip = meta.ip;
    const account = await this.d.users().findForLogin(login);
    const addressLock = await this.lockOf(throttleKeys.address(ip));
    if (addressLock) throw this.throttled(addressLock);
    const pairLock = await this.lockOf(throttleKeys.pair(login, ip));
    if (pairLock) throw this.throttled(pairLock);
    const accountLock = await this.lockOf(throttleKeys.account(login));
    if (accountLock && !(account && (await this.trustedAddress(account.id, ip)))) {
      throw this.throttled(accountLock);
    }

    const credential = account
      ? await this.d.db.manager.findOneBy(CredentialEntity, { userId: account.id })
      : null;
    const ok =
      account && account.active && credential
        ? await this.d.hasher.verify(credential.passwordHash, input.password)
        : await this.d.hasher.verifyNothing(input.password);

    if (!ok || !account) {
      await this.d.db.transaction(async (tx) => {
        const now = this.d.clock.now();
        const locks = [
          [
            'account',
            await recordFailure(tx, throttleKeys.account(login), this.d.accountPolicy, now),
          ],
          [
            'pair',
            await recordFailure(tx, throttleKeys.pair(login, ip), this.d.accountPolicy, now),
          ],
          ['address', await recordFailure(tx, throttleKeys.address(ip), this.d.addressPolicy, now)],
        ] as const;
        const reason = !account
          ? 'unknown_login'
          : !account.active
            ? 'inactive'
            : !credential
              ? 'no_password'
              : 'wrong_password';
        // An unknown login may be a mistyped password: keep only a digest of it.
        const who = account ? { login } : { loginDigest: digest(login) };
        await this.d.audit.append(tx, {
          action: 'auth.login',
          outcome: 'failure',
          targetType: 'user',
          targetId: account?.id ?? null,
          requestId: meta.requestId,
          details: { ...who, reason, ip },
        });
        for (const [scope, lock] of locks) {
          if (lock.lockedUntil) {
            await this.d.audit.append(tx, {
              action: 'auth.lockout',
              outcome: 'denied',
              targetType: 'user',
              targetId: account?.id ?? null,
              requestId: meta.requestId,
              details: { ...who, scope, ip, until: lock.lockedUntil.toISOString() },
            });
          }
        }
      });
      throw new AppError('auth.invalid_credentials');
    }

    const opened = await this.d.db.transaction(async (tx) => {
      await clearFailures(tx, throttleKeys.account(login));
      await clearFailures(tx, throttleKeys.pair(login, ip));
      const o = await this.d.sessions.open(tx, account.id, input.device, meta);
      await this.d.audit.append(tx, {
        action: 'auth.login',
        actorId: account.id,
        deviceId: o.device.id,
        targetType: 'session',
        targetId: o.session.id,
        requestId: meta.requestId,
        details: { ip, device: o.device.id },
      });
      return o;
    });
    const profile = await this.d.users().profile(account.id);
    const roles = (await rolesOf(this.d.db.manager, [account.id])).get(account.id) ?? [];
    return {
      token: opened.token,
      session: {
        id: opened.session.id,
        expiresAt: this.d.sessions.expiresAt(opened.session).toISOString(),
      },
      user: {
        ...profile,
        ...this.meFields(account.id, profile?.login ?? login, profile?.fullName ?? '', roles),
      },
    };
  }

  meFields(id: string, login: string, fullName: string, roles: Role[]) {
    return { id, login, fullName, roles, permissions: [...permissionsOf(roles)] };
  }

  /** Ends the caller's own session. */
  async logout(actor: Actor, meta: RequestMeta): Promise<void> {
    await this.revoke(actor, actor.sessionId, 'logout', meta, 'auth.logout');
  }

  /**
   * Revokes a session: `own` callers may only revoke their own sessions (another
   * user's id answers "not found", not "forbidden", to reveal nothing).
   */
  async revokeSession(
    actor: Actor,
    sessionId: string,
    meta: RequestMeta,
    own: boolean,
  ): Promise<void> {
    const s = await this.d.sessions.get(this.d.db.manager, sessionId);
    if (!s || (own && s.userId !== actor.userId)) throw new AppError('auth.session_not_found');
    await this.revoke(
      actor,
      sessionId,
      own ? 'revoked_by_user' : 'revoked_by_admin',
      meta,
      'auth.session.revoke',
      s.userId,
    );
  }

  private async revoke(
    actor: Actor,
    sessionId: string,
    reason: string,
    meta: RequestMeta,
    action: string,
    ownerId: string = actor.userId,
  ): Promise<void> {
    await this.d.db.transaction(async (tx) => {
      const changed = await this.d.sessions.revoke(tx, sessionId, reason);
      await this.d.audit.append(tx, {
        ...callContext(actor, meta),
        action,
        targetType: 'session',
        targetId: sessionId,
        outcome: changed ? 'success' : 'failure',
        details: { reason, owner: ownerId, ...(changed ? {} : { already: 'closed' }) },
      });
    });
  }

  /** Revokes all of a user's sessions (admin: lost device, dismissal). */
  async revokeAllOf(actor: Actor, userId: string, meta: RequestMeta): Promise<number> {
    await requireUser(this.d.users, userId);
    return this.d.db.transaction(async (tx) => {
      const n = await this.d.sessions.revokeAll(tx, userId, 'revoked_by_admin');
      await this.d.audit.append(tx, {
        ...callContext(actor, meta),
        action: 'auth.session.revoke_all',
        targetType: 'user',
        targetId: userId,
        details: { count: n },
      });
      return n;
    });
  }
}

/** A short digest that lets an auditor correlate attempts on one unknown login without storing it. */
function digest(login: string): string {
  return createHash('sha256').update(login, 'utf8').digest('hex').slice(0, 16);
}
