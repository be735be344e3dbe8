import type { EntityManager } from 'typeorm';
import type { UnitView } from '@konsilium/shared';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { EventBus } from '../../platform/events.js';
import type { CallContext } from '../../platform/http/actor.js';
import type { Logger } from '../../platform/log/logger.js';
import type { AuditEntry, AuditLog } from '../audit/index.js';

/** What rosters needs to know about people and units; implemented from the directory in hub.ts. */
export interface RosterPeople {
  /** Full names and whether active, for these ids (unknown ids are absent). */
  profiles(ids: readonly string[]): Promise<Map<string, { fullName: string; active: boolean }>>;
  /** The organization tree (active units; a role's zone is its unit's). */
  units(): Promise<UnitView[]>;
  /** A staff id by login (imports name people by login or e-mail address). */
  findByLogin(loginOrEmail: string): Promise<string | null>;
}

/** Events rosters puts on the hub's bus. */
declare module '../../platform/events.js' {
  interface BusEvents {
    /**
     * Tell these people something (a published shift, a swap to answer, a
     * presence change of someone they watch). The messaging stream turns it
     * into a per-user realtime event with a `seq`.
     */
    'rosters.notify': { userIds: string[]; event: string; data: unknown };
    /** A person's own status was set or cleared (do-not-disturb holds are released on it). */
    'rosters.presence_changed': { userId: string; status: string; until: string | null };
    /** The on-call answer of these roles may have changed. */
    'rosters.changed': { roleIds: string[] };
    /**
     * The people on call for a role changed at `at` (a shift boundary, a
     * take-over or an applied swap): hand-off from `outgoing` to `incoming`.
     */
    'rosters.shift_changed': {
      roleId: string;
      at: string;
      outgoing: string[];
      incoming: string[];
    };
  }
}

/** The IANA zone of an active unit, or null when there is no such active unit. */
export async function unitZone(people: RosterPeople, unitId: string): Promise<string | null> {
  const find = (units: UnitView[]): UnitView | null => {
    for (const u of units) {
      if (u.id === unitId) return u;
      const hit = find(u.children);
      if (hit) return hit;
    }
    return null;
  };
  const unit = find(await people.units());
  return unit?.active ? unit.timeZone : null;
}

/** Shared plumbing of the roster services. */
export interface RosterCtx {
  db: Database;
  audit: AuditLog;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  people: RosterPeople;
}

/** The audit fields of a call. */
export function auditOf(ctx: CallContext): Pick<AuditEntry, 'actorId' | 'deviceId' | 'requestId'> {
  return { actorId: ctx.actorId, deviceId: ctx.deviceId, requestId: ctx.requestId };
}

/** Appends an audit row in the change's transaction. */
export async function audited(
  rc: RosterCtx,
  tx: EntityManager,
  ctx: CallContext,
  entry: Omit<AuditEntry, 'actorId' | 'deviceId' | 'requestId'>,
): Promise<void> {
  await rc.audit.append(tx, { ...auditOf(ctx), ...entry });
}
