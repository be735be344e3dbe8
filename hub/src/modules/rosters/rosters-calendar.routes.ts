import { CalendarQuery, RosterImportQuery } from '@konsilium/shared';
import { callContext } from '../../platform/http/actor.js';
import { readRawBody } from '../../platform/http/body.js';
import { route, type Route } from '../../platform/http/routes.js';
import type { CalendarService } from './rosters.calendar.js';
import type { ImportService } from './rosters.import.js';
import type { ShiftsService } from './rosters.shifts.js';
import { BASE, IdParam, MANAGE, READ, need } from './rosters.routes.js';

const ICS_HEADERS = {
  'content-type': 'text/calendar; charset=utf-8',
  'cache-control': 'private, max-age=300',
};

/** Calendar feeds (token links), their issue and revocation, and roster imports. */
export function rosterCalendarRoutes(s: {
  calendar: CalendarService;
  shifts: ShiftsService;
  imports: ImportService;
  maxImportBytes: number;
}): Route[] {
  return [
    route({
      method: 'GET',
      path: `${BASE}/roles/:id/calendar.ics`,
      access: 'public',
      params: IdParam,
      query: CalendarQuery,
      handler: async ({ params, query }) => ({
        headers: ICS_HEADERS,
        body: await s.calendar.feed('role', params.id, query.token),
      }),
    }),
    route({
      method: 'GET',
      path: `${BASE}/people/:id/calendar.ics`,
      access: 'public',
      params: IdParam,
      query: CalendarQuery,
      handler: async ({ params, query }) => ({
        headers: ICS_HEADERS,
        body: await s.calendar.feed('user', params.id, query.token),
      }),
    }),
    route({
      method: 'POST',
      path: `${BASE}/roles/:id/calendar`,
      access: MANAGE,
      params: IdParam,
      handler: async ({ actor, meta, params }) => ({
        status: 201,
        body: await s.calendar.issue(callContext(actor, meta), 'role', params.id),
      }),
    }),
    route({
      method: 'DELETE',
      path: `${BASE}/roles/:id/calendar`,
      access: MANAGE,
      params: IdParam,
      handler: async ({ actor, meta, params }) => {
        await s.calendar.revoke(callContext(actor, meta), 'role', params.id);
        return { status: 204 };
      },
    }),
    route({
      method: 'POST',
      path: `${BASE}/me/calendar`,
      access: READ,
      handler: async ({ actor, meta }) => ({
        status: 201,
        body: await s.calendar.issue(callContext(actor, meta), 'user', need(actor).userId),
      }),
    }),
    route({
      method: 'DELETE',
      path: `${BASE}/me/calendar`,
      access: READ,
      handler: async ({ actor, meta }) => {
        await s.calendar.revoke(callContext(actor, meta), 'user', need(actor).userId);
        return { status: 204 };
      },
    }),
    // A coordinator manages another person's feed (the person may not be on the hub's client).
    route({
      method: 'GET',
      path: `${BASE}/people/:id/calendar`,
      access: MANAGE,
      params: IdParam,
      handler: async ({ params }) => {
        await s.shifts.activeUser(params.id, 'id');
        return { body: await s.calendar.status('user', params.id) };
      },
    }),
    route({
      method: 'POST',
      path: `${BASE}/people/:id/calendar`,
      access: MANAGE,
      params: IdParam,
      handler: async ({ actor, meta, params }) => {
        await s.shifts.activeUser(params.id, 'id');
        return {
          status: 201,
          body: await s.calendar.issue(callContext(actor, meta), 'user', params.id),
        };
      },
    }),
    route({
      method: 'DELETE',
      path: `${BASE}/people/:id/calendar`,
      access: MANAGE,
      params: IdParam,
      handler: async ({ actor, meta, params }) => {
        await s.shifts.activeUser(params.id, 'id');
        await s.calendar.revoke(callContext(actor, meta), 'user', params.id);
        return { status: 204 };
      },
    }),
    route({
      method: 'POST',
      path: `${BASE}/roles/:id/import`,
      access: MANAGE,
      params: IdParam,
      query: RosterImportQuery,
      bodyKind: 'raw',
      handler: async ({ actor, meta, params, query, raw }) => {
        const bytes = await readRawBody(raw, s.maxImportBytes);
        return { body: await s.imports.run(callContext(actor, meta), params.id, bytes, query) };
      },
    }),
  ];
}
