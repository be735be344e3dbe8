import type { EntityManager } from 'typeorm';
import { AuthThrottleEntity, type AuthThrottle } from './identity.entity.js';

/** Failures older than this no longer count. */
export const FAILURE_WINDOW_MS = 15 * 60 * 1000;
/** A key with no failure for this long starts again from the first lockout length. */
export const LOCKOUT_MEMORY_MS = 24 * 3600 * 1000;

export interface ThrottlePolicy {
  maxFailures: number;
  lockoutSeconds: number;
  lockoutMaxSeconds: number;
}

/** What a key says now: locked until when, if at all. */
export function lockedUntil(row: AuthThrottle | null, now: Date): Date | null {
  if (!row?.lockedUntil) return null;
  const until = new Date(row.lockedUntil);
  return until > now ? until : null;
}

/**
 * Records one failure for `key` and says whether it started a lockout. The
 * lockout length doubles with each lockout (first `lockoutSeconds`) and never
 * exceeds `lockoutMaxSeconds`: an attacker can delay a victim, never lock them
 * out for good.
 */
export async function recordFailure(
  tx: EntityManager,
  key: string,
  policy: ThrottlePolicy,
  now: Date,
): Promise<{ lockedUntil: Date | null }> {
  const nowIso = now.toISOString();
  const row = await tx.findOneBy(AuthThrottleEntity, { key });
  const fresh: AuthThrottle = row ?? {
    key,
    failures: 0,
    windowStartedAt: nowIso,
    lockedUntil: null,
    lockouts: 0,
    updatedAt: nowIso,
  };
  const sinceUpdate = now.getTime() - new Date(fresh.updatedAt).getTime();
  if (sinceUpdate > LOCKOUT_MEMORY_MS) fresh.lockouts = 0;
  if (now.getTime() - new Date(fresh.windowStartedAt).getTime() > FAILURE_WINDOW_MS) {
    fresh.failures = 0;
    fresh.windowStartedAt = nowIso;
  }
  fresh.failures += 1;
  fresh.updatedAt = nowIso;
  let until: Date | null = null;
  if (fresh.failures >= policy.maxFailures) {
    const seconds = Math.min(policy.lockoutSeconds * 2 ** fresh.lockouts, policy.lockoutMaxSeconds);
    until = new Date(now.getTime() + seconds * 1000);
    fresh.lockedUntil = until.toISOString();
    fresh.lockouts += 1;
    fresh.failures = 0;
    fresh.windowStartedAt = nowIso;
  }
  await tx.save(AuthThrottleEntity, fresh);
  return { lockedUntil: until };
}

/** Forgets the failures of `key` (after a successful sign-in). */
export async function clearFailures(tx: EntityManager, key: string): Promise<void> {
  await tx.delete(AuthThrottleEntity, { key });
}

export const throttleKeys = {
  account: (login: string) => `acct:${login.toLowerCase()}`,
  address: (ip: string) => `ip:${ip}`,
  pair: (login: string, ip: string) => `pair:${login.toLowerCase()}|${ip}`,
};
