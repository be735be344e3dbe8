import { z } from 'zod';
import {
  AppError,
  CreateDutyRoleRequest,
  CreateShiftRequest,
  Id,
  ListShiftsQuery,
  OnCallQuery,
  PublishRequest,
  TakeoverRequest,
  UpdateDutyRoleRequest,
  UpdateShiftRequest,
} from '@konsilium/shared';
import { callContext, type Actor } from '../../platform/http/actor.js';
import { route, type Route } from '../../platform/http/routes.js';
import type { Clock } from '../../platform/clock.js';
import type { OnCallResolver } from './rosters.oncall.js';
import type { RolesService } from './rosters.roles.js';
import type { ShiftsService } from './rosters.shifts.js';

export const IdParam = z.object({ id: Id }).strict();
export const MANAGE = { permission: 'rosters.manage' } as const;
export const READ = { permission: 'directory.read' } as const;
export const BASE = '/api/v1/rosters';

export function need(actor: Actor | null): Actor {
  if (!actor) throw new AppError('auth.unauthenticated');
  return actor;
}

/** Roles, shifts, publishing, take-overs and who is on call. */
export function rosterCoreRoutes(s: {
  clock: Clock;
  roles: RolesService;
  shifts: ShiftsService;
  oncall: OnCallResolver;
}): Route[] {
  return [
    route({
      method: 'POST',
      path: `${BASE}/roles`,
      access: MANAGE,
      body: CreateDutyRoleRequest,
      handler: async ({ actor, meta, body }) => ({
        status: 201,
        body: await s.roles.create(callContext(actor, meta), body),
      }),
    }),
    route({
      method: 'GET',
      path: `${BASE}/roles`,
      access: READ,
      query: z.object({ unitId: Id.optional() }).strict(),
      handler: async ({ query }) => ({ body: { items: await s.roles.list(query.unitId) } }),
    }),
    route({
      method: 'GET',
      path: `${BASE}/roles/:id`,
      access: READ,
      params: IdParam,
      handler: async ({ params }) => ({ body: await s.roles.get(params.id) }),
    }),
    route({
      method: 'PATCH',
      path: `${BASE}/roles/:id`,
      access: MANAGE,
      params: IdParam,
      body: UpdateDutyRoleRequest,
      handler: async ({ actor, meta, params, body }) => ({
        body: await s.roles.update(callContext(actor, meta), params.id, body),
      }),
    }),
    route({
      method: 'POST',
      path: `${BASE}/shifts`,
      access: MANAGE,
      body: CreateShiftRequest,
      handler: async ({ actor, meta, body }) => ({
        status: 201,
        body: await s.shifts.create(callContext(actor, meta), body),
      }),
    }),
    route({
      method: 'GET',
      path: `${BASE}/shifts`,
      access: READ,
      query: ListShiftsQuery,
      handler: async ({ query }) => ({ body: { items: await s.shifts.list(query) } }),
    }),
    route({
      method: 'GET',
      path: `${BASE}/shifts/:id`,
      access: READ,
      params: IdParam,
      handler: async ({ params }) => ({ body: await s.shifts.get(params.id) }),
    }),
    route({
      method: 'PATCH',
      path: `${BASE}/shifts/:id`,
      access: MANAGE,
      params: IdParam,
      body: UpdateShiftRequest,
      handler: async ({ actor, meta, params, body }) => ({
        body: await s.shifts.update(callContext(actor, meta), params.id, body),
      }),
    }),
    route({
      method: 'DELETE',
      path: `${BASE}/shifts/:id`,
      access: MANAGE,
      params: IdParam,
      handler: async ({ actor, meta, params }) => ({
        body: await s.shifts.cancel(callContext(actor, meta), params.id),
      }),
    }),
    route({
      method: 'POST',
      path: `${BASE}/publish`,
      access: MANAGE,
      body: PublishRequest,
      handler: async ({ actor, meta, body }) => ({
        body: await s.shifts.publish(callContext(actor, meta), body),
      }),
    }),
    route({
      method: 'POST',
      path: `${BASE}/takeovers`,
      access: MANAGE,
      body: TakeoverRequest,
      handler: async ({ actor, meta, body }) => ({
        status: 201,
        body: await s.shifts.takeover(callContext(actor, meta), body),
      }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/oncall',
      access: READ,
      query: OnCallQuery,
      handler: async ({ query }) => ({
        body: await s.oncall.resolve(query.roleId, query.at ? new Date(query.at) : s.clock.now()),
      }),
    }),
  ];
}
