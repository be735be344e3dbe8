import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import { AppError, type UnitView } from '@konsilium/shared';
import { parseConfig, type HubConfig, type HubConfigInput } from './config/index.js';
import { systemClock, type Clock } from './platform/clock.js';
import { Database } from './platform/db/database.js';
import type { Actor } from './platform/http/actor.js';
import { createHttpApp } from './platform/http/app.js';
import { resolveWebClientDir, webClient } from './platform/http/static.js';
import { HttpServer } from './platform/http/server.js';
import { EventBus } from './platform/events.js';
import { RedisFanout } from './platform/realtime/fanout.js';
import { RealtimeGateway } from './platform/realtime/gateway.js';
import { createLogger, type Logger } from './platform/log/logger.js';
import type { HubModule } from './platform/module.js';
import { MIGRATIONS } from './migrations/index.js';
import { DurableTimers, TIMER_ENTITIES } from './platform/timers/index.js';
import { AUDIT_ENTITIES, AuditLog, auditRoutes } from './modules/audit/index.js';
import { healthRoutes } from './modules/health/index.js';
import { MESSAGING_ENTITIES, createMessaging } from './modules/messaging/index.js';
import { FILES_ENTITIES, createFiles, type AttachmentStore } from './modules/files/index.js';
import { IDENTITY_ENTITIES, createIdentity } from './modules/identity/index.js';
import {
  DIRECTORY_ENTITIES,
  createDirectory,
  type CredentialStore,
  type DirectoryService,
} from './modules/directory/index.js';
import { loadDemoHospital } from './demo/demo-loader.js';
import { loadDemoRosters } from './demo/demo-rosters.js';
import { ROSTERS_ENTITIES, createRosters } from './modules/rosters/index.js';
import { RESULTS_ENTITIES, createResults, type ResultsReader } from './modules/results/index.js';
import { ExternalChannels } from './modules/notify/index.js';
import { ALERTING_ENTITIES, createAlerting, type AlertSubjects } from './modules/alerting/index.js';
import { ESCALATION_ENTITIES, createEscalation } from './modules/escalation/index.js';
import { NOTIFICATIONS_ENTITIES, createNotifications } from './modules/notifications/index.js';

export interface HubOptions {
  /** Injected time source (tests pass a fake clock). */
  clock?: Clock;
  /** Where log lines go (tests capture them). */
  logDestination?: DestinationStream;
}

/** A running (or runnable) hub. */
export interface Hub {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The bound address; valid after `start`. */
  address(): AddressInfo;
  /** `http://host:port`, valid after `start`. */
  url(): string;
  readonly config: HubConfig;
  readonly log: Logger;
  /** For tests and tools in this package: the database and services. */
  readonly internals: {
    db: Database;
    directory: DirectoryService;
    credentials: CredentialStore;
    audit: AuditLog;
    clock: Clock;
    realtime: RealtimeGateway;
    bus: EventBus;
    files: AttachmentStore;
    rosters: ReturnType<typeof createRosters>;
    results: ResultsReader;
    /** The MLLP listener's bound address; null when it is off. */
    mllpAddress(): AddressInfo | null;
    messaging: ReturnType<typeof createMessaging>;
    /** E-mail and SMS to people outside the hub (ADR 0020). */
    channels: ExternalChannels;
    /** Durable timers (ADR 0019); modules register their kinds before `start`. */
    timers: DurableTimers;
    /** Critical results → alerts (ADR 0022). */
    alerting: ReturnType<typeof createAlerting>;
    /** Lab-result subjects of alerts, for the escalation module. */
    alertSubjects: AlertSubjects;
    /** Escalation until acknowledged (ADR 0021). */
    escalation: ReturnType<typeof createEscalation>;
    /** Notification policy, per-recipient delivery and metrics (ADR 0023). */
    notifications: ReturnType<typeof createNotifications>;
  };
}

/**
 * The one composition root: builds every subsystem from the config and wires
 * modules together through their ports. Nothing listens until `start`.
 */
export function createHub(input: HubConfig | HubConfigInput, options: HubOptions = {}): Hub {
  const config = parseConfig(input);
  const clock = options.clock ?? systemClock;
  const log = createLogger(config.logLevel, options.logDestination);
  const db = new Database({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    entities: [
      ...AUDIT_ENTITIES,
      ...IDENTITY_ENTITIES,
      ...DIRECTORY_ENTITIES,
      ...MESSAGING_ENTITIES,
      ...FILES_ENTITIES,
      ...ROSTERS_ENTITIES,
      ...RESULTS_ENTITIES,
      ...TIMER_ENTITIES,
      ...ALERTING_ENTITIES,
      ...ESCALATION_ENTITIES,
      ...NOTIFICATIONS_ENTITIES,
    ],
    migrations: MIGRATIONS,
    log,
  });
  const audit = new AuditLog(clock);
  const bus = new EventBus();
  const timers = new DurableTimers({ db, clock, log });
  const identity = createIdentity({
    db,
    bus,
    audit,
    clock,
    config,
    log,
    // The directory is built below; identity reads it only when a request arrives.
    users: () => directory.users,
  });
  const realtime = new RealtimeGateway({
    config,
    log,
    clock,
    bus,
    authenticate: identity.authenticate,
    fanout: config.redisUrl
      ? new RedisFanout(config.redisUrl, config.redisChannel, log.child({ module: 'fanout' }))
      : null,
  });
  const directory = createDirectory({
    db,
    audit,
    clock,
    config,
    log,
    credentials: identity.credentials,
    nodes: realtime,
    // Rosters is built later; presence is asked only when a request arrives.
    presence: () => ({
      views: (ids) => rosters.presenceOf(ids),
      watch: (watcherId, ids) => rosters.watchPresence(watcherId, ids),
    }),
  });

  const files = createFiles({
    db,
    audit,
    clock,
    config,
    log,
    // Messaging is built next; membership is asked only when a request arrives.
    access: { isMember: (userId, conversationId) => messaging.isMember(userId, conversationId) },
  });
  const messaging = createMessaging({
    db,
    attachments: files.attachments,
    audit,
    clock,
    config,
    log,
    realtime,
    bus,
    people: {
      activeIds: (ids) => directory.people.activeIds(ids),
      inUnit: (userId, unitId) => directory.people.inUnit(userId, unitId),
      audience: async ({ unitIds, categories, roles }) => {
        const byRole = await identity.credentials.usersWithRoles(roles ?? []);
        const matched = await directory.people.matching({
          ...(unitIds ? { unitIds } : {}),
          ...(categories ? { categories } : {}),
        });
        return [...new Set([...matched, ...(await directory.people.activeIds(byRole))])];
      },
    },
    // Rosters is built next; it is asked only when a request arrives.
    oncall: { resolve: (roleId, at) => rosters.resolveOnCall(roleId, at) },
    teams: { members: (teamId, at) => rosters.teamMembers(teamId, at) },
  });

  const rosters = createRosters({
    db,
    audit,
    clock,
    bus,
    log,
    realtime,
    maxImportBytes: config.maxImportBytes,
    people: {
      profiles: async (ids) => {
        const out = new Map<string, { fullName: string; active: boolean }>();
        for (const p of (await directory.users.profiles(ids)).values())
          out.set(p.id, { fullName: p.fullName, active: p.active });
        return out;
      },
      units: () => directory.service.units(),
      findByLogin: async (login) => {
        const hit = await directory.users.findForLogin(login);
        return hit?.active ? hit.id : null;
      },
    },
  });

  const results = createResults({ db, audit, clock, bus, config, log });
  const channels = new ExternalChannels({ db, audit, log, config });

  const escalation = createEscalation({
    db,
    audit,
    clock,
    log,
    bus,
    timers,
    channels,
    link: (alertId) =>
      `${config.publicUrl ?? (bound ? urlOf(bound) : 'http://localhost')}/#/alerts/${alertId}`,
    people: {
      profiles: async (ids) => {
        const found = (await directory.users.profiles(ids)).values();
        const out = new Map<
          string,
          { fullName: string; active: boolean; email: string | null; phone: string | null }
        >();
        for (const p of found)
          out.set(p.id, {
            fullName: p.fullName,
            active: p.active,
            email: p.email,
            phone: p.phone,
          });
        return out;
      },
      administrators: async () => [
        ...(await directory.people.activeIds(await identity.credentials.usersWithRoles(['admin']))),
      ],
      units: async () => {
        const flat: { id: string; parentId: string | null }[] = [];
        const walk = (list: UnitView[]) => {
          for (const u of list) {
            flat.push({ id: u.id, parentId: u.parentId });
            walk(u.children);
          }
        };
        walk(await directory.service.units());
        return flat;
      },
    },
    roles: {
      resolve: async (roleId, at) =>
        (await rosters.resolveOnCall(roleId, at)).people.map((p) => ({
          id: p.id,
          fullName: p.fullName,
        })),
      describe: async (roleId) => {
        const r = await rosters.internals.roles.get(roleId).catch(() => null);
        return r ? { unitId: r.unitId, active: r.active, name: r.name } : null;
      },
    },
    messaging: {
      unitOf: async (conversationId) =>
        (await messaging.conversationScope(conversationId))?.unitId ?? null,
      addMembers: async (conversationId, userIds, authorId) => {
        await messaging.conversations.addBySystem(conversationId, userIds, authorId);
      },
      notify: (userIds, event, data) => bus.emit('messaging.user_event', { userIds, event, data }),
    },
  });

  const alerting = createAlerting({
    db,
    audit,
    clock,
    bus,
    log,
    results: results.reader,
    people: {
      byExternalId: (system, value) => directory.people.byExternalId(system, value),
      units: async () => {
        const flat: {
          id: string;
          name: string;
          code: string | null;
          parentId: string | null;
          active: boolean;
        }[] = [];
        const walk = (us: UnitView[]) => {
          for (const u of us) {
            flat.push({
              id: u.id,
              name: u.name,
              code: u.code,
              parentId: u.parentId,
              active: u.active,
            });
            walk(u.children);
          }
        };
        walk(await directory.service.units({ includeInactive: true }));
        return flat;
      },
      names: async (ids) => {
        const out = new Map<string, string>();
        for (const p of (await directory.users.profiles(ids)).values()) out.set(p.id, p.fullName);
        return out;
      },
    },
    rosters: {
      rolesOfUnit: (unitId) => rosters.rolesOfUnit(unitId),
      resolveOnCall: (roleId, at) => rosters.resolveOnCall(roleId, at),
    },
    messaging: {
      openConversation: async (actor, input, meta) => {
        const { view } = await messaging.conversations.create(
          actor,
          {
            kind: 'group',
            memberIds: input.memberIds,
            title: input.title,
            ...(input.unitId ? { unitId: input.unitId } : {}),
            ...(input.patient ? { patient: input.patient } : {}),
          },
          meta,
          { key: input.key },
        );
        return { id: view.id };
      },
      send: async (actor, conversationId, input, meta) => {
        const { message } = await messaging.messages.send(actor, conversationId, input, meta);
        return { id: message.id };
      },
      openMany: (actor, items, meta, also) =>
        messaging.conversations.openMany(messaging.messages, actor, items, meta, also),
    },
    escalation: {
      startForMessage: (input) => escalation.startForMessage(input),
      prepareStarts: (inputs) => escalation.prepareStarts(inputs),
      failSafeFor: (q) => escalation.failSafeFor(q),
      ignoreMessage: (messageId) => escalation.ignoreMessage(messageId),
      alertStatus: async (alertId) => {
        const v = await escalation.engine.view(alertId).catch(() => null);
        if (!v) return null;
        return {
          state: v.state,
          ...(v.acknowledgedBy ? { acknowledgedBy: v.acknowledgedBy } : {}),
          ...(v.readBack ? { readBack: v.readBack } : {}),
        };
      },
    },
  });
  escalation.setSubjects(alerting.subjects);

  const notifications = createNotifications({
    db,
    audit,
    clock,
    bus,
    log,
    timers,
    directory: {
      units: async () => {
        const flat: { id: string; parentId: string | null; name: string }[] = [];
        const walk = (us: Awaited<ReturnType<DirectoryService['units']>>) => {
          for (const u of us) {
            flat.push({ id: u.id, parentId: u.parentId, name: u.name });
            walk(u.children);
          }
        };
        walk(await directory.service.units({ includeInactive: true }));
        return flat;
      },
      person: async (userId) => {
        const p = await directory.users.profile(userId);
        return p ? { fullName: p.fullName, unitIds: p.units.map((u) => u.id) } : null;
      },
    },
    rosters: {
      presence: async (userId) => {
        const [v] = await rosters.presenceOf([userId]);
        return { status: v?.status ?? 'available', until: v?.until ?? null };
      },
      shiftOf: (userId, at) => rosters.shiftOf(userId, at),
      roleNames: () => rosters.roleNames(),
    },
    messaging: {
      window: (from, to) => messaging.window(from, to),
      readBy: async (userId, messageIds) => {
        // Asked as the person: a message they can no longer see counts as not read.
        const me: Actor = {
          userId,
          sessionId: '',
          deviceId: '',
          roles: [],
          permissions: new Set(),
        };
        const read = new Set<string>();
        for (const id of new Set(messageIds)) {
          const m = await messaging.reads.message(me, id).catch((err: unknown) => {
            if (err instanceof AppError) return null;
            throw err;
          });
          if (!m) continue;
          const receipt = m.receipts?.members.find((r) => r.userId === userId);
          if (receipt?.readAt || m.acks.some((a) => a.userId === userId)) read.add(id);
        }
        return read;
      },
    },
  });

  notifications.useEscalations({ summary: (q) => escalation.metricsSummary(q) });

  const modules: HubModule[] = [identity.module, directory.module, messaging.module, files.module];
  modules.push(
    rosters.module,
    results.module,
    escalation.module,
    alerting.module,
    notifications.module,
  );
  const routes = [
    ...healthRoutes(() => db.isReady()),
    ...modules.flatMap((m) => m.routes),
    ...auditRoutes(() => db.manager),
  ];
  const app = createHttpApp({
    log,
    routes,
    authenticate: identity.authenticate,
    maxJsonBytes: config.maxJsonBytes,
    trustProxy: config.trustProxy,
    fallback: webClient({
      dir: resolveWebClientDir(config.webClientDir),
      frameAncestors: config.allowedOrigins,
    }),
  });
  let server: HttpServer | null = null;
  let bound: AddressInfo | null = null;
  let state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';

  return {
    config,
    log,
    internals: {
      db,
      directory: directory.service,
      credentials: identity.credentials,
      audit,
      clock,
      realtime,
      bus,
      files: files.attachments,
      rosters,
      results: results.reader,
      mllpAddress: () => results.mllpAddress(),
      messaging,
      channels,
      timers,
      alerting,
      alertSubjects: alerting.subjects,
      escalation,
      notifications,
    },
    async start() {
      if (state !== 'new' && state !== 'stopped')
        throw new Error(`cannot start a hub that is ${state}`);
      state = 'starting';
      try {
        await db.open();
        for (const m of modules) await m.start?.();
        await timers.start();
        if (config.redisUrl) {
          // Nodes of one database share its channel (ADR 0025).
          const [{ name }] = await db.manager.query<[{ name: string }]>(
            'SELECT current_database() AS name',
          );
          await realtime.startFanout(name);
        }
        if (
          config.demo &&
          (await loadDemoHospital({
            db,
            directory: directory.service,
            credentials: identity.credentials,
            log,
          }))
        )
          await loadDemoRosters({ rosters, directory: directory.service, log, now: clock.now() });
        server = new HttpServer(app);
        realtime.attach(server.server);
        bound = await server.listen(config.port, config.host);
        await escalation.startOutbox();
        state = 'running';
        log.info({ port: bound.port, host: bound.address, database: db.kind }, 'hub listening');
      } catch (err) {
        state = 'running';
        await this.stop().catch(() => undefined);
        throw err;
      }
    },
    async stop() {
      if (state !== 'running') return;
      state = 'stopping';
      await realtime.close();
      await server?.close();
      server = null;
      await timers.stop();
      for (const m of [...modules].reverse()) await m.stop?.();
      channels.close();
      await db.close();
      state = 'stopped';
      log.info('hub stopped');
    },
    address() {
      if (!bound) throw new Error('the hub is not started');
      return bound;
    },
    url() {
      return urlOf(this.address());
    },
  };
}

function urlOf(a: AddressInfo): string {
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `http://${host}:${a.port}`;
}
