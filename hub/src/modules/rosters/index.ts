import type { OnCallView, PresenceView } from '@konsilium/shared';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/log/logger.js';
import type { HubModule } from '../../platform/module.js';
import type { AuditLog } from '../audit/index.js';
import { OnCallIndex } from './rosters.index.js';
import { OnCallResolver } from './rosters.oncall.js';
import type { RosterCtx, RosterPeople } from './rosters.ports.js';
import { RolesService } from './rosters.roles.js';
import { rosterCoreRoutes } from './rosters.routes.js';
import { ShiftsService } from './rosters.shifts.js';
import { PatternsService } from './rosters.patterns.js';
import { SwapsService } from './rosters.swaps.js';
import { rosterPlanningRoutes } from './rosters-planning.routes.js';
import { CalendarService } from './rosters.calendar.js';
import { ImportService } from './rosters.import.js';
import { rosterCalendarRoutes } from './rosters-calendar.routes.js';
import { TeamsService, type TeamMember } from './rosters.teams.js';
import { PresenceService } from './rosters.presence.js';
import { rosterTeamRoutes } from './rosters-teams.routes.js';
import { ShiftChangeWatcher } from './rosters.changes.js';
import { registerRosterRealtime } from './rosters.realtime.js';
import type { Realtime } from '../../platform/realtime/realtime.types.js';

export { ROSTERS_ENTITIES } from './rosters.entity.js';
export type { RosterPeople } from './rosters.ports.js';
export type { TeamMember } from './rosters.teams.js';

/** The rosters' caches on the node-to-node channel: keys are duty role ids. */
const CACHE_SCOPE = 'rosters';

export interface RostersDeps {
  db: Database;
  audit: AuditLog;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  people: RosterPeople;
  /** Where the presence ops are registered. */
  realtime: Realtime;
  /** The largest roster file accepted by an import (bytes). */
  maxImportBytes: number;
}

/**
 * Builds rosters: duty roles, shifts, patterns, swaps, coverage, calendars,
 * teams and presence. Other modules use the returned port (`resolveOnCall`,
 * `teamMembers`, the `rosters.*` bus events), never the services.
 */
export function createRosters(deps: RostersDeps) {
  const rc: RosterCtx = { ...deps, log: deps.log.child({ module: 'rosters' }) };
  const index = new OnCallIndex(deps.db);
  const roles = new RolesService(rc);
  const shifts = new ShiftsService(rc, roles, index);
  const oncall = new OnCallResolver(rc, roles, index);
  const patterns = new PatternsService(rc, roles, shifts, index);
  const swaps = new SwapsService(rc, roles, shifts, index);
  const calendar = new CalendarService(rc, roles, shifts, oncall);
  const imports = new ImportService(rc, shifts);
  const teams = new TeamsService(rc, roles, oncall);
  const presence = new PresenceService(rc, roles, shifts, index, (userId) =>
    deps.realtime.isOnline(userId),
  );
  const changes = new ShiftChangeWatcher(rc, roles, index);
  registerRosterRealtime(deps.realtime, presence);
  // Several hub nodes: a role or published shift changed here is dropped
  // from the other nodes' role cache and on-call index too (ADR 0025).
  index.onInvalidate = (ids) => deps.realtime.invalidateOnNodes(CACHE_SCOPE, ids);
  roles.onChange = (ids) => deps.realtime.invalidateOnNodes(CACHE_SCOPE, ids);
  deps.realtime.onNodeInvalidate(CACHE_SCOPE, (ids) => {
    index.drop(ids);
    roles.changedElsewhere(ids);
  });
  let offConnections: (() => void) | null = null;
  // Several hub nodes: watchers on other nodes learn of a change made here (ADR 0025).
  presence.onChange = (userId) => deps.realtime.signalNodes('presence.changed', [userId]);
  deps.realtime.onNodeSignal('presence.changed', (ids) => {
    for (const id of ids) {
      if (presence.watchersOf(id).length === 0) continue;
      presence
        .notifyWatchers(id)
        .catch((err: unknown) => rc.log.error({ err }, 'presence relay failed'));
    }
  });
  const module: HubModule = {
    name: 'rosters',
    routes: [
      ...rosterCoreRoutes({ clock: deps.clock, roles, shifts, oncall }),
      ...rosterPlanningRoutes({ roles, shifts, patterns, swaps }),
      ...rosterCalendarRoutes({ calendar, shifts, imports, maxImportBytes: deps.maxImportBytes }),
      ...rosterTeamRoutes({ clock: deps.clock, teams, presence }),
    ],
    async start() {
      // Roles load while the hub starts, so an idle hub's shift-change ticks
      // read only memory and open no database connection.
      await roles.all();
      changes.start();
      offConnections = deps.bus.on('realtime.presence', ({ userId }) =>
        presence.connectionChanged(userId),
      );
    },
    async stop() {
      offConnections?.();
      offConnections = null;
      await changes.stop();
      await presence.settled();
    },
  };
  return {
    module,
    /** Who answers for a role at `at` (default now): people, source and why. */
    resolveOnCall: (roleId: string, at?: Date): Promise<OnCallView> =>
      oncall.resolve(roleId, at ?? deps.clock.now()),
    /** Everyone in a team at `at` (default now): a static list or who is on shift. */
    teamMembers: async (teamId: string, at?: Date): Promise<TeamMember[]> =>
      (await teams.members(teamId, at ?? deps.clock.now())).members,
    /** The unit's active duty roles, oldest first (a unit's first role answers for its lab results, ADR 0022). */
    rolesOfUnit: async (unitId: string) =>
      [...(await roles.all()).values()]
        .filter((r) => r.active && r.unitId === unitId)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
        .map((r) => ({ id: r.id, name: r.name, createdAt: r.createdAt })),
    /** Presence of these people (for directory search results and profiles). */
    presenceOf: (userIds: readonly string[]): Promise<PresenceView[]> => presence.views(userIds),
    /** The same, and `watcherId` now watches exactly these people (`presence.changed` is pushed). */
    watchPresence: (watcherId: string, userIds: readonly string[]): Promise<PresenceView[]> =>
      presence.watch(watcherId, userIds),
    /** The published shift the person works at `at`, or null. */
    shiftOf: async (
      userId: string,
      at: Date,
    ): Promise<{ id: string; startAt: string; endAt: string } | null> => {
      const rows = await shifts.rows({
        userId,
        from: at.toISOString(),
        to: new Date(at.getTime() + 1).toISOString(),
        states: ['published'],
      });
      const r = rows[0];
      return r ? { id: r.id, startAt: r.startAt, endAt: r.endAt } : null;
    },
    /** Names of the duty roles by id. */
    roleNames: async (): Promise<Map<string, string>> =>
      new Map([...(await roles.all())].map(([id, r]) => [id, r.name])),
    /** For tools and tests: the services. */
    internals: {
      index,
      roles,
      shifts,
      oncall,
      patterns,
      swaps,
      calendar,
      imports,
      teams,
      presence,
      changes,
    },
  };
}
