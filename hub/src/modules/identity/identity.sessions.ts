import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { IsNull, type EntityManager } from 'typeorm';
import {
  AppError,
  permissionsOf,
  ROLES,
  type DeviceInfo,
  type Role,
  type SessionView,
} from '@konsilium/shared';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { EventBus } from '../../platform/events.js';
import type { Actor, RequestMeta } from '../../platform/http/actor.js';
import {
  AuthSessionEntity,
  DeviceEntity,
  StaffRoleEntity,
  type AuthSession,
  type Device,
} from './identity.entity.js';

/** Last-seen times are written at most this often per session, to keep reads read-only. */
const TOUCH_INTERVAL_MS = 60_000;

/** SHA-256 of a token: the only form a token is stored in. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface SessionPolicy {
  idleSeconds: number;
  absoluteSeconds: number;
}

/** Sessions bound to devices (SEC-3): creation, lookup by token, expiry, revocation. */
export class SessionStore {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly policy: SessionPolicy,
    private readonly bus: EventBus,
  ) {}

  /** Opens a session; returns the token (256 random bits) which is never stored. */
  async open(
    tx: EntityManager,
    userId: string,
    device: DeviceInfo | undefined,
    meta: RequestMeta,
  ): Promise<{ token: string; session: AuthSession; device: Device }> {
    const now = this.clock.now();
    const nowIso = now.toISOString();
    const name = device?.name ?? (meta.userAgent ? meta.userAgent.slice(0, 120) : 'unknown device');
    const platform = device?.platform ?? null;
    let dev = await tx.findOneBy(DeviceEntity, { userId, name, platform: platform ?? IsNull() });
    if (dev) {
      dev.lastSeenAt = nowIso;
      await tx.save(DeviceEntity, dev);
    } else {
      dev = { id: randomUUID(), userId, name, platform, createdAt: nowIso, lastSeenAt: nowIso };
      await tx.insert(DeviceEntity, dev);
    }
    const token = randomBytes(32).toString('base64url');
    const session: AuthSession = {
      id: randomUUID(),
      userId,
      deviceId: dev.id,
      tokenHash: hashToken(token),
      createdAt: nowIso,
      lastSeenAt: nowIso,
      expiresAt: new Date(now.getTime() + this.policy.absoluteSeconds * 1000).toISOString(),
      revokedAt: null,
      revokedReason: null,
      ip: meta.ip.slice(0, 64),
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
    };
    await tx.insert(AuthSessionEntity, session);
    return { token, session, device: dev };
  }

  /** When the session ends for lack of use or by its absolute limit, whichever is first. */
  expiresAt(s: AuthSession): Date {
    const idle = new Date(s.lastSeenAt).getTime() + this.policy.idleSeconds * 1000;
    return new Date(Math.min(idle, new Date(s.expiresAt).getTime()));
  }

  /** The live session behind a token and its user's roles (one query), or null. */
  async find(token: string): Promise<{ session: AuthSession; roles: Role[] } | null> {
    const rows: (AuthSession & { role: string | null })[] = await this.db.manager
      .createQueryBuilder(AuthSessionEntity, 's')
      .leftJoin('StaffRole', 'r', 'r.user_id = s.user_id')
      .select([
        's.id AS "id"',
        's.user_id AS "userId"',
        's.device_id AS "deviceId"',
        's.last_seen_at AS "lastSeenAt"',
        's.expires_at AS "expiresAt"',
        's.revoked_at AS "revokedAt"',
        'r.role AS "role"',
      ])
      .where('s.token_hash = :hash', { hash: hashToken(token) })
      .getRawMany();
    const s = rows[0];
    if (!s || s.revokedAt) return null;
    if (this.expiresAt(s) <= this.clock.now()) return null;
    const roles = rows
      .map((r) => r.role)
      .filter((r): r is Role => r !== null && (ROLES as readonly string[]).includes(r))
      .sort((a, b) => ROLES.indexOf(a) - ROLES.indexOf(b));
    return { session: s, roles };
  }

  /** Resolves a bearer token to the caller; `auth.session_expired` otherwise. */
  async authenticate(
    token: string,
    isActive: (userId: string) => Promise<boolean>,
  ): Promise<Actor> {
    const found = await this.find(token);
    if (!found || !(await isActive(found.session.userId))) {
      throw new AppError('auth.session_expired');
    }
    const { session: s, roles } = found;
    const now = this.clock.now();
    if (now.getTime() - new Date(s.lastSeenAt).getTime() >= TOUCH_INTERVAL_MS) {
      const nowIso = now.toISOString();
      await this.db.transaction(async (tx) => {
        await tx.update(AuthSessionEntity, { id: s.id }, { lastSeenAt: nowIso });
        await tx.update(DeviceEntity, { id: s.deviceId }, { lastSeenAt: nowIso });
      });
    }
    return {
      userId: s.userId,
      sessionId: s.id,
      deviceId: s.deviceId,
      roles,
      permissions: permissionsOf(roles),
    };
  }

  /** Live sessions of a user, newest first. */
  async list(userId: string, currentSessionId: string | null): Promise<SessionView[]> {
    const rows = await this.db.manager.find(AuthSessionEntity, {
      where: { userId, revokedAt: IsNull() },
      order: { createdAt: 'DESC' },
    });
    const now = this.clock.now();
    const live = rows.filter((s) => this.expiresAt(s) > now);
    const devices = new Map<string, Device>();
    for (const s of live) {
      if (!devices.has(s.deviceId)) {
        const d = await this.db.manager.findOneBy(DeviceEntity, { id: s.deviceId });
        if (d) devices.set(d.id, d);
      }
    }
    return live.map((s) => {
      const d = devices.get(s.deviceId);
      return {
        id: s.id,
        userId: s.userId,
        device: { id: s.deviceId, name: d?.name ?? '', platform: d?.platform ?? null },
        createdAt: s.createdAt,
        lastSeenAt: s.lastSeenAt,
        expiresAt: this.expiresAt(s).toISOString(),
        current: s.id === currentSessionId,
        ip: s.ip,
      };
    });
  }

  async get(tx: EntityManager, id: string): Promise<AuthSession | null> {
    return tx.findOneBy(AuthSessionEntity, { id });
  }

  /** Revokes one session; true if it was open. */
  async revoke(tx: EntityManager, id: string, reason: string): Promise<boolean> {
    const result = await tx.update(
      AuthSessionEntity,
      { id, revokedAt: IsNull() },
      { revokedAt: this.clock.now().toISOString(), revokedReason: reason },
    );
    const changed = (result.affected ?? 0) > 0;
    // Sockets of the session close at once (realtime gateway); a rolled-back
    // revocation only costs the client a reconnect.
    if (changed) this.bus.emit('session.ended', { sessionIds: [id], reason });
    return changed;
  }

  /** Revokes every open session of a user except `keep`; returns how many. */
  async revokeAll(
    tx: EntityManager,
    userId: string,
    reason: string,
    keep?: string,
  ): Promise<number> {
    const open = await tx.find(AuthSessionEntity, { where: { userId, revokedAt: IsNull() } });
    let n = 0;
    for (const s of open) {
      if (s.id === keep) continue;
      if (await this.revoke(tx, s.id, reason)) n += 1;
    }
    return n;
  }
}

/** Roles of each user from the `staff_role` table. */
export async function rolesOf(
  manager: EntityManager,
  userIds: readonly string[],
): Promise<Map<string, Role[]>> {
  const result = new Map<string, Role[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return result;
  const rows = await manager
    .createQueryBuilder(StaffRoleEntity, 'r')
    .where('r.user_id IN (:...ids)', { ids: [...userIds] })
    .getMany();
  for (const r of rows) {
    if ((ROLES as readonly string[]).includes(r.role)) result.get(r.userId)?.push(r.role as Role);
  }
  for (const list of result.values()) list.sort((a, b) => ROLES.indexOf(a) - ROLES.indexOf(b));
  return result;
}
