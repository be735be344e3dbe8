import {
  AtQuery,
  CreateTeamRequest,
  PresenceQuery,
  PresenceWatchRequest,
  SetPresenceRequest,
  UpdateTeamRequest,
} from '@konsilium/shared';
import type { Clock } from '../../platform/clock.js';
import { callContext } from '../../platform/http/actor.js';
import { route, type Route } from '../../platform/http/routes.js';
import type { PresenceService } from './rosters.presence.js';
import { BASE, IdParam, MANAGE, READ, need } from './rosters.routes.js';
import type { TeamsService } from './rosters.teams.js';

/** Teams and presence. */
export function rosterTeamRoutes(s: {
  clock: Clock;
  teams: TeamsService;
  presence: PresenceService;
}): Route[] {
  return [
    route({
      method: 'POST',
      path: `${BASE}/teams`,
      access: MANAGE,
      body: CreateTeamRequest,
      handler: async ({ actor, meta, body }) => ({
        status: 201,
        body: await s.teams.create(callContext(actor, meta), body),
      }),
    }),
    route({
      method: 'GET',
      path: `${BASE}/teams`,
      access: READ,
      handler: async () => ({ body: { items: await s.teams.list() } }),
    }),
    route({
      method: 'GET',
      path: `${BASE}/teams/:id`,
      access: READ,
      params: IdParam,
      handler: async ({ params }) => ({ body: await s.teams.get(params.id) }),
    }),
    route({
      method: 'PATCH',
      path: `${BASE}/teams/:id`,
      access: MANAGE,
      params: IdParam,
      body: UpdateTeamRequest,
      handler: async ({ actor, meta, params, body }) => ({
        body: await s.teams.update(callContext(actor, meta), params.id, body),
      }),
    }),
    route({
      method: 'DELETE',
      path: `${BASE}/teams/:id`,
      access: MANAGE,
      params: IdParam,
      handler: async ({ actor, meta, params }) => {
        await s.teams.remove(callContext(actor, meta), params.id);
        return { status: 204 };
      },
    }),
    route({
      method: 'GET',
      path: `${BASE}/teams/:id/members`,
      access: READ,
      params: IdParam,
      query: AtQuery,
      handler: async ({ params, query }) => ({
        body: await s.teams.members(params.id, query.at ? new Date(query.at) : s.clock.now()),
      }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/presence',
      access: READ,
      query: PresenceQuery,
      handler: async ({ query }) => ({ body: { items: await s.presence.views(query.userIds) } }),
    }),
    route({
      method: 'PUT',
      path: '/api/v1/presence/me',
      access: READ,
      body: SetPresenceRequest,
      handler: async ({ actor, meta, body }) => ({
        body: await s.presence.set(need(actor), meta, body),
      }),
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/presence/me',
      access: READ,
      handler: async ({ actor, meta }) => ({ body: await s.presence.clear(need(actor), meta) }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/presence/watch',
      access: READ,
      body: PresenceWatchRequest,
      handler: async ({ actor, body }) => ({
        body: { items: await s.presence.watch(need(actor).userId, body.userIds) },
      }),
    }),
  ];
}
