import { z } from 'zod';
import {
  AppError,
  CreateUnitRequest,
  CreateUserRequest,
  Id,
  ImportQuery,
  ListUnitsQuery,
  SearchUsersQuery,
  UpdateUnitRequest,
  UpdateUserRequest,
  type UserView,
} from '@konsilium/shared';
import { callContext } from '../../platform/http/actor.js';
import { readRawBody } from '../../platform/http/body.js';
import { route, type Route } from '../../platform/http/routes.js';
import type { DirectoryPresence } from './directory.ports.js';
import type { ImportService } from './directory-import.service.js';
import type { SearchService } from './directory-search.service.js';
import type { UnitsService } from './directory-units.service.js';
import type { UsersService } from './directory-users.service.js';

const IdParam = z.object({ id: Id }).strict();
const BASE = '/api/v1/directory';
const IMPORT_TYPES = new Set(['text/csv', 'application/octet-stream', 'text/plain']);

/** The directory's HTTP routes; every input is validated by the route table before a handler runs. */
export function directoryRoutes(s: {
  units: UnitsService;
  users: UsersService;
  search: SearchService;
  imports: ImportService;
  maxImportBytes: number;
  presence: () => DirectoryPresence | null;
}): Route[] {
  /** Adds presence and current duties to these users (and, for a search, watches them). */
  const withPresence = async <T extends UserView>(
    users: T[],
    watcherId: string | null,
  ): Promise<T[]> => {
    const p = s.presence();
    if (!p) return users;
    const ids = users.map((u) => u.id);
    const views = watcherId ? await p.watch(watcherId, ids) : await p.views(ids);
    const byId = new Map(views.map((v) => [v.userId, v]));
    return users.map((u) => {
      const presence = byId.get(u.id);
      return presence ? { ...u, presence } : u;
    });
  };
  const read = { permission: 'directory.read' } as const;
  const manage = { permission: 'directory.manage' } as const;
  return [
    route({
      method: 'GET',
      path: `${BASE}/units`,
      access: read,
      query: ListUnitsQuery,
      handler: async ({ query }) => ({
        body: { items: await s.units.tree(query.includeInactive ?? false) },
      }),
    }),
    route({
      method: 'POST',
      path: `${BASE}/units`,
      access: manage,
      body: CreateUnitRequest,
      handler: async ({ body, actor, meta }) => ({
        status: 201,
        body: await s.units.create(callContext(actor, meta), body),
      }),
    }),
    route({
      method: 'PATCH',
      path: `${BASE}/units/:id`,
      access: manage,
      params: IdParam,
      body: UpdateUnitRequest,
      handler: async ({ params, body, actor, meta }) => ({
        body: await s.units.update(callContext(actor, meta), params.id, body),
      }),
    }),
    route({
      method: 'POST',
      path: `${BASE}/units/:id/deactivate`,
      access: manage,
      params: IdParam,
      handler: async ({ params, actor, meta }) => ({
        body: await s.units.deactivate(callContext(actor, meta), params.id),
      }),
    }),
    route({
      method: 'GET',
      path: `${BASE}/users`,
      access: read,
      query: SearchUsersQuery,
      handler: async ({ query, actor }) => {
        const page = await s.search.search(query);
        return { body: { ...page, items: await withPresence(page.items, actor?.userId ?? null) } };
      },
    }),
    route({
      method: 'POST',
      path: `${BASE}/users`,
      access: manage,
      body: CreateUserRequest,
      handler: async ({ body, actor, meta }) => ({
        status: 201,
        body: await s.users.create(callContext(actor, meta), body),
      }),
    }),
    route({
      method: 'GET',
      path: `${BASE}/users/:id`,
      access: read,
      params: IdParam,
      handler: async ({ params }) => ({
        body: (await withPresence([await s.users.get(params.id)], null))[0],
      }),
    }),
    route({
      method: 'PATCH',
      path: `${BASE}/users/:id`,
      access: manage,
      params: IdParam,
      body: UpdateUserRequest,
      handler: async ({ params, body, actor, meta }) => ({
        body: await s.users.update(callContext(actor, meta), params.id, body),
      }),
    }),
    route({
      method: 'POST',
      path: `${BASE}/users/:id/deactivate`,
      access: manage,
      params: IdParam,
      handler: async ({ params, actor, meta }) => ({
        body: await s.users.deactivate(callContext(actor, meta), params.id),
      }),
    }),
    route({
      method: 'POST',
      path: `${BASE}/users/:id/reactivate`,
      access: manage,
      params: IdParam,
      handler: async ({ params, actor, meta }) => ({
        body: await s.users.reactivate(callContext(actor, meta), params.id),
      }),
    }),
    route({
      method: 'POST',
      path: `${BASE}/import`,
      access: { permission: 'directory.import' },
      query: ImportQuery,
      bodyKind: 'raw',
      handler: async ({ query, raw, actor, meta }) => {
        const type = (raw.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (!IMPORT_TYPES.has(type)) {
          throw new AppError('http.unsupported_media_type', {
            message: 'The import body must be text/csv, text/plain or application/octet-stream',
          });
        }
        const bytes = await readRawBody(raw, s.maxImportBytes);
        return { body: await s.imports.run(callContext(actor, meta), bytes, query) };
      },
    }),
  ];
}
