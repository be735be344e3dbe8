import {
  CoverageQuery,
  CreatePatternRequest,
  CreateSwapRequest,
  ExpandPatternRequest,
} from '@konsilium/shared';
import { z } from 'zod';
import { callContext } from '../../platform/http/actor.js';
import { route, type Route } from '../../platform/http/routes.js';
import { coverageReport } from './rosters.coverage.js';
import type { PatternsService } from './rosters.patterns.js';
import type { RolesService } from './rosters.roles.js';
import { BASE, IdParam, MANAGE, READ, need } from './rosters.routes.js';
import type { ShiftsService } from './rosters.shifts.js';
import type { SwapsService } from './rosters.swaps.js';

/** Patterns, swaps and coverage. */
export function rosterPlanningRoutes(s: {
  roles: RolesService;
  shifts: ShiftsService;
  patterns: PatternsService;
  swaps: SwapsService;
}): Route[] {
  const swapStep = (name: 'accept' | 'decline' | 'approve' | 'reject' | 'cancel') =>
    route({
      method: 'POST',
      path: `${BASE}/swaps/:id/${name}`,
      access: name === 'approve' || name === 'reject' ? MANAGE : READ,
      params: IdParam,
      handler: async ({ actor, meta, params }) => ({
        body: await s.swaps[name](need(actor), meta, params.id),
      }),
    });
  return [
    route({
      method: 'POST',
      path: `${BASE}/patterns`,
      access: MANAGE,
      body: CreatePatternRequest,
      handler: async ({ actor, meta, body }) => ({
        status: 201,
        body: await s.patterns.create(callContext(actor, meta), body),
      }),
    }),
    route({
      method: 'GET',
      path: `${BASE}/patterns`,
      access: READ,
      query: z.object({ roleId: z.string().uuid() }).strict(),
      handler: async ({ query }) => ({ body: { items: await s.patterns.list(query.roleId) } }),
    }),
    route({
      method: 'POST',
      path: `${BASE}/patterns/:id/expand`,
      access: MANAGE,
      params: IdParam,
      body: ExpandPatternRequest,
      handler: async ({ actor, meta, params, body }) => ({
        body: await s.patterns.expand(callContext(actor, meta), params.id, body),
      }),
    }),
    route({
      method: 'POST',
      path: `${BASE}/swaps`,
      access: READ,
      body: CreateSwapRequest,
      handler: async ({ actor, meta, body }) => ({
        status: 201,
        body: await s.swaps.create(need(actor), meta, body),
      }),
    }),
    route({
      method: 'GET',
      path: `${BASE}/swaps`,
      access: READ,
      handler: async ({ actor }) => ({ body: { items: await s.swaps.list(need(actor)) } }),
    }),
    swapStep('accept'),
    swapStep('decline'),
    swapStep('approve'),
    swapStep('reject'),
    swapStep('cancel'),
    route({
      method: 'GET',
      path: `${BASE}/coverage`,
      access: MANAGE,
      query: CoverageQuery,
      handler: async ({ query }) => ({ body: await coverageReport(s.roles, s.shifts, query) }),
    }),
  ];
}
