import { z } from 'zod';
import {
  AppError,
  Id,
  MetricsQuery,
  NotifyPolicyInput,
  NotifyPreferencesInput,
} from '@konsilium/shared';
import { callContext, type Actor } from '../../platform/http/actor.js';
import { route, type Route } from '../../platform/http/routes.js';
import type { MetricsService } from './notifications.metrics.js';
import type { PolicyService } from './notifications.policy.js';

const MANAGE = { permission: 'notify.manage' } as const;
const METRICS = { permission: 'metrics.view' } as const;
const UnitParam = z.object({ unitId: Id }).strict();
const BASE = '/api/v1/notifications/policies';

function need(actor: Actor | null): Actor {
  if (!actor) throw new AppError('auth.unauthenticated');
  return actor;
}

/** Notification policies, personal preferences and the metrics endpoint. */
export function notificationRoutes(s: { policy: PolicyService; metrics: MetricsService }): Route[] {
  return [
    route({
      method: 'GET',
      path: BASE,
      access: MANAGE,
      handler: async () => ({ body: { items: await s.policy.list() } }),
    }),
    route({
      method: 'GET',
      path: `${BASE}/:unitId`,
      access: MANAGE,
      params: UnitParam,
      handler: async ({ params }) => ({ body: await s.policy.get(params.unitId) }),
    }),
    route({
      method: 'PUT',
      path: `${BASE}/:unitId`,
      access: MANAGE,
      params: UnitParam,
      body: NotifyPolicyInput,
      handler: async ({ actor, meta, params, body }) => ({
        body: await s.policy.put(callContext(actor, meta), params.unitId, body),
      }),
    }),
    route({
      method: 'DELETE',
      path: `${BASE}/:unitId`,
      access: MANAGE,
      params: UnitParam,
      handler: async ({ actor, meta, params }) => {
        await s.policy.remove(callContext(actor, meta), params.unitId);
        return { status: 204 };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/me/notifications',
      access: 'session',
      handler: async ({ actor }) => ({ body: await s.policy.mine(need(actor).userId) }),
    }),
    route({
      method: 'PUT',
      path: '/api/v1/me/notifications',
      access: 'session',
      body: NotifyPreferencesInput,
      handler: async ({ actor, meta, body }) => ({
        body: await s.policy.setMine(callContext(actor, meta), need(actor).userId, body),
      }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/admin/metrics',
      access: METRICS,
      query: MetricsQuery,
      handler: async ({ query }) => ({ body: await s.metrics.metrics(query) }),
    }),
  ];
}
