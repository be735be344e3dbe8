import type { Logger } from 'pino';
import type {
  CreateUnitRequest,
  CreateUserRequest,
  PageOf,
  SearchUsersQuery,
  UnitView,
  UpdateUnitRequest,
  UpdateUserRequest,
  UserView,
} from '@konsilium/shared';
import type { HubConfig } from '../../config/index.js';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { CallContext } from '../../platform/http/actor.js';
import type { HubModule } from '../../platform/module.js';
import type { NodeCaches } from '../../platform/realtime/realtime.types.js';
import type { AuditLog } from '../audit/index.js';
import type { CredentialStore, DirectoryPresence } from './directory.ports.js';
import { directoryRoutes } from './directory.routes.js';
import {
  ImportService,
  type ImportOptions,
  type ImportResult,
} from './directory-import.service.js';
import { MemoryIndex } from './directory-search.index.js';
import { SearchService, type EngineName } from './directory-search.service.js';
import { SqlSearch } from './directory-search.sql.js';
import { UnitsService } from './directory-units.service.js';
import { UsersService } from './directory-users.service.js';

export type { CredentialStore, DirectoryPresence } from './directory.ports.js';
export type { People } from './directory-people.js';
import { People } from './directory-people.js';
export type { ImportResult, ImportOptions } from './directory-import.service.js';
export type { EngineName } from './directory-search.service.js';
export { DIRECTORY_ENTITIES } from './directory.entity.js';
export { HR_EMPLOYEE_ID_SYSTEM, SNILS_SYSTEM } from './directory-import.mapping.js';

/** What the rest of the hub (and tests, tools) may ask of the directory. */
export interface DirectoryService {
  createUnit(ctx: CallContext, input: CreateUnitRequest): Promise<UnitView>;
  updateUnit(ctx: CallContext, id: string, input: UpdateUnitRequest): Promise<UnitView>;
  deactivateUnit(ctx: CallContext, id: string): Promise<UnitView>;
  units(options?: { includeInactive?: boolean }): Promise<UnitView[]>;
  /** `options.passwordHash` skips hashing (the caller hashed already, e.g. demo data). */
  createUser(
    ctx: CallContext,
    input: CreateUserRequest,
    options?: { passwordHash?: string },
  ): Promise<UserView>;
  updateUser(ctx: CallContext, id: string, input: UpdateUserRequest): Promise<UserView>;
  deactivateUser(ctx: CallContext, id: string): Promise<UserView>;
  reactivateUser(ctx: CallContext, id: string): Promise<UserView>;
  getUser(id: string): Promise<UserView>;
  /** `options.engine` forces an engine (tests compare both); default: the configured `directorySearch` engine. */
  searchUsers(
    query: SearchUsersQuery,
    options?: { engine?: EngineName },
  ): Promise<PageOf<UserView>>;
  /** CSV import from HR (ADM-2); `csv` is the raw file. */
  importCsv(ctx: CallContext, csv: Buffer, options: ImportOptions): Promise<ImportResult>;
}

/** Structurally satisfies identity's IdentityUserLookup port (wired in hub.ts; modules do not import each other here). */
export interface DirectoryUserLookup {
  findForLogin(login: string): Promise<{ id: string; active: boolean } | null>;
  profile(userId: string): Promise<UserView | null>;
  /** Several profiles in one read (shared views: do not change them). */
  profiles(ids: readonly string[]): Promise<Map<string, UserView>>;
  isActive(userId: string): Promise<boolean>;
}

export interface DirectoryDeps {
  db: Database;
  audit: AuditLog;
  clock: Clock;
  config: HubConfig;
  log: Logger;
  credentials: CredentialStore;
  /** Presence for search results and profiles (DIR-5); read per request, so it may be wired late. */
  presence?: () => DirectoryPresence | null;
  /** Several hub nodes: keeps the search index coherent with the others' writes (ADR 0025). */
  nodes?: NodeCaches;
}

/** The index's staff entries on the node-to-node channel: keys are user ids. */
const STAFF_SCOPE = 'directory.staff';
/** The unit list changed; keys are the user ids whose unit names changed with it. */
const UNITS_SCOPE = 'directory.units';

/** Builds the directory: services, routes and the search index (loaded at start unless `directorySearch` is `sql`). */
export function createDirectory(deps: DirectoryDeps): {
  module: HubModule;
  service: DirectoryService;
  users: DirectoryUserLookup;
  people: People;
} {
  const { db, audit, clock, credentials } = deps;
  const log = deps.log.child({ module: 'directory' });
  const memory = new MemoryIndex(db);
  const nodes = deps.nodes;
  // Several hub nodes: the others re-read the same people (ADR 0025).
  const usersChanged = (ids: string[]) => {
    if (ids.length > 0) nodes?.invalidateOnNodes(STAFF_SCOPE, ids);
    return memory.refresh(ids);
  };
  const units = new UnitsService(db, audit, clock, (memberIds) => {
    nodes?.invalidateOnNodes(UNITS_SCOPE, memberIds);
    return memory.refresh(memberIds, true);
  });
  const applyElsewhere = (work: Promise<void>): void => {
    // A failed re-read leaves the index unloaded: search uses SQL and reloads it.
    void work.catch((err: unknown) =>
      log.error({ err }, 'directory search index: a change from another node failed'),
    );
  };
  nodes?.onNodeInvalidate(STAFF_SCOPE, (ids) =>
    applyElsewhere(ids ? memory.refresh(ids) : memory.reload()),
  );
  nodes?.onNodeInvalidate(UNITS_SCOPE, (ids) =>
    applyElsewhere(ids ? memory.refresh(ids, true) : memory.reload()),
  );
  const users = new UsersService(db, audit, clock, credentials, usersChanged, (ids) =>
    memory.records(ids),
  );
  const imports = new ImportService(db, audit, clock, credentials, usersChanged);
  const useMemory = deps.config.directorySearch === 'memory';
  const search = new SearchService(db, credentials, memory, new SqlSearch(db), log, useMemory);

  const service: DirectoryService = {
    createUnit: (ctx, input) => units.create(ctx, input),
    updateUnit: (ctx, id, input) => units.update(ctx, id, input),
    deactivateUnit: (ctx, id) => units.deactivate(ctx, id),
    units: (options = {}) => units.tree(options.includeInactive ?? false),
    createUser: (ctx, input, options) => users.create(ctx, input, options),
    updateUser: (ctx, id, input) => users.update(ctx, id, input),
    deactivateUser: (ctx, id) => users.deactivate(ctx, id),
    reactivateUser: (ctx, id) => users.reactivate(ctx, id),
    getUser: (id) => users.get(id),
    searchUsers: (query, options) => search.search(query, options),
    importCsv: (ctx, csv, options) => imports.run(ctx, csv, options),
  };
  return {
    module: {
      name: 'directory',
      routes: directoryRoutes({
        units,
        users,
        search,
        imports,
        maxImportBytes: deps.config.maxImportBytes,
        presence: deps.presence ?? (() => null),
      }),
      async start() {
        if (!useMemory) return;
        const started = Date.now();
        await memory.load();
        log.info({ ms: Date.now() - started }, 'directory search index loaded');
      },
    },
    service,
    people: new People(db),
    users: {
      findForLogin: (login) => users.findForLogin(login),
      profile: (id) => users.profile(id),
      profiles: (ids) => users.profiles(ids),
      isActive: (id) => users.isActive(id),
    },
  };
}
