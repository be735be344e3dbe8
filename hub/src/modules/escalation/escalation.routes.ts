import { z } from 'zod';
import {
  AlertAckRequest,
  AlertIdParam,
  AlertListQuery,
  EscalationPolicyInput,
  Id,
} from '@konsilium/shared';
import { callContext } from '../../platform/http/actor.js';
import { route, type Route } from '../../platform/http/routes.js';
import type { EscalationEngine } from './escalation.engine.js';
import type { Policies } from './escalation.policies.js';

const UnitParam = z.object({ unitId: Id }).strict();
const DutyAdminBody = z.object({ roleId: Id.nullable() }).strict();

/**
 * Alerts (targets and `escalation.view_all`; `?conversationId=` narrows the
 * list to one conversation) and escalation policies (`escalation.manage`).
 */
export function escalationRoutes(engine: EscalationEngine, policies: Policies): Route[] {
  const manage = { permission: 'escalation.manage' } as const;
  return [
    route({
      method: 'GET',
      path: '/api/v1/alerts',
      access: 'session',
      query: AlertListQuery,
      handler: async ({ actor, query }) => {
        const viewAll = actor!.permissions.has('escalation.view_all');
        const items = await engine.list(actor!.userId, viewAll, query.state, query.conversationId);
        return { body: { items } };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/alerts/:id',
      access: 'session',
      params: AlertIdParam,
      handler: async ({ actor, params }) => ({
        body: await engine.get(
          params.id,
          actor!.userId,
          actor!.permissions.has('escalation.view_all'),
        ),
      }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/alerts/:id/ack',
      access: 'session',
      params: AlertIdParam,
      body: AlertAckRequest,
      handler: async ({ actor, meta, params, body }) => ({
        body: await engine.ack(
          { ...callContext(actor, meta), actorId: actor!.userId },
          params.id,
          body,
        ),
      }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/escalation/policies',
      access: manage,
      handler: async () => ({ body: { items: await policies.list() } }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/escalation/policies',
      access: manage,
      body: EscalationPolicyInput,
      handler: async ({ actor, meta, body }) => ({
        status: 201,
        body: await policies.create(callContext(actor, meta), body),
      }),
    }),
    route({
      method: 'PUT',
      path: '/api/v1/escalation/policies/:id',
      access: manage,
      params: AlertIdParam,
      body: EscalationPolicyInput,
      handler: async ({ actor, meta, params, body }) => ({
        body: await policies.update(callContext(actor, meta), params.id, body),
      }),
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/escalation/policies/:id',
      access: manage,
      params: AlertIdParam,
      handler: async ({ actor, meta, params }) => {
        await policies.remove(callContext(actor, meta), params.id);
        return { status: 204 };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/escalation/duty-admins',
      access: manage,
      handler: async () => ({ body: { items: await policies.dutyAdmins() } }),
    }),
    route({
      method: 'PUT',
      path: '/api/v1/escalation/duty-admins/:unitId',
      access: manage,
      params: UnitParam,
      body: DutyAdminBody,
      handler: async ({ actor, meta, params, body }) => {
        await policies.setDutyAdmin(callContext(actor, meta), params.unitId, body.roleId);
        return { body: { unitId: params.unitId, roleId: body.roleId } };
      },
    }),
  ];
}
