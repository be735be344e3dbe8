/*
 * CONTRACT STUB — the directory module is being written. Keep these exports.
 */
import type { Logger } from 'pino';
import type { CreateUnitRequest, CreateUserRequest, UnitView, UserView } from '@konsilium/shared';
import type { EntitySchema } from 'typeorm';
import type { HubConfig } from '../../config/index.js';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { CallContext } from '../../platform/http/actor.js';
import type { HubModule } from '../../platform/module.js';
import type { AuditLog } from '../audit/index.js';
import type { CredentialStore } from './directory.ports.js';

export type { CredentialStore } from './directory.ports.js';

export const DIRECTORY_ENTITIES: EntitySchema[] = [];

export interface DirectoryService {
  createUnit(ctx: CallContext, input: CreateUnitRequest): Promise<UnitView>;
  createUser(ctx: CallContext, input: CreateUserRequest, options?: { passwordHash?: string }): Promise<UserView>;
}

/** Structurally satisfies identity's IdentityUserLookup port (wired in hub.ts; modules do not import each other here). */
export interface DirectoryUserLookup {
  findForLogin(login: string): Promise<{ id: string; active: boolean } | null>;
  profile(userId: string): Promise<UserView | null>;
}

export interface DirectoryDeps {
  db: Database;
  audit: AuditLog;
  clock: Clock;
  config: HubConfig;
  log: Logger;
  credentials: CredentialStore;
}

export function createDirectory(_deps: DirectoryDeps): {
  module: HubModule;
  service: DirectoryService;
  users: DirectoryUserLookup;
} {
  throw new Error('not written yet');
}
