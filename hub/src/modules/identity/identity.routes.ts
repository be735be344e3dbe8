import { z } from 'zod';
import {
  AppError,
  ChangePasswordRequest,
  Id,
  LoginRequest,
  ResetPasswordRequest,
  SetRolesRequest,
} from '@konsilium/shared';
import type { Actor } from '../../platform/http/actor.js';
import { route, type Route } from '../../platform/http/routes.js';
import type { IdentityUserLookup } from './identity.ports.js';
import type { IdentityService } from './identity.service.js';
import { requireUser, type AccountService } from './identity-accounts.service.js';
import type { SessionStore } from './identity.sessions.js';

const IdParam = z.object({ id: Id }).strict();

function need(actor: Actor | null): Actor {
  if (!actor) throw new AppError('auth.unauthenticated');
  return actor;
}

/** The identity route table: one access rule per route. */
export function identityRoutes(
  service: IdentityService,
  accounts: AccountService,
  sessions: SessionStore,
  users: () => IdentityUserLookup,
): Route[] {
  return [
    route({
      method: 'POST',
      path: '/api/v1/auth/login',
      access: 'public',
      body: LoginRequest,
      handler: async ({ body, meta }) => ({ body: await service.login(body, meta) }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/auth/logout',
      access: 'session',
      handler: async ({ actor, meta }) => {
        await service.logout(need(actor), meta);
        return { status: 204 };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/me',
      access: 'session',
      handler: async ({ actor }) => {
        const a = need(actor);
        const profile = await users().profile(a.userId);
        if (!profile) throw new AppError('auth.session_expired');
        return {
          body: {
            ...profile,
            ...service.meFields(a.userId, profile.login, profile.fullName, [...a.roles]),
            session: { id: a.sessionId, deviceId: a.deviceId },
          },
        };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/auth/sessions',
      access: 'session',
      handler: async ({ actor }) => {
        const a = need(actor);
        return { body: { items: await sessions.list(a.userId, a.sessionId) } };
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/auth/sessions/:id',
      access: 'session',
      params: IdParam,
      handler: async ({ actor, params, meta }) => {
        await service.revokeSession(need(actor), params.id, meta, true);
        return { status: 204 };
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/auth/password',
      access: 'session',
      body: ChangePasswordRequest,
      handler: async ({ actor, body, meta }) => {
        const revoked = await accounts.changePassword(need(actor), body, meta);
        return { body: { revokedSessions: revoked } };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/admin/users/:id/sessions',
      access: { permission: 'sessions.manage_all' },
      params: IdParam,
      handler: async ({ actor, params }) => {
        await requireUser(users, params.id);
        return { body: { items: await sessions.list(params.id, need(actor).sessionId) } };
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/admin/sessions/:id',
      access: { permission: 'sessions.manage_all' },
      params: IdParam,
      handler: async ({ actor, params, meta }) => {
        await service.revokeSession(need(actor), params.id, meta, false);
        return { status: 204 };
      },
    }),
    route({
      method: 'POST',
      path: '/api/v1/admin/users/:id/sessions/revoke-all',
      access: { permission: 'sessions.manage_all' },
      params: IdParam,
      handler: async ({ actor, params, meta }) => ({
        body: { revokedSessions: await service.revokeAllOf(need(actor), params.id, meta) },
      }),
    }),
    route({
      method: 'PUT',
      path: '/api/v1/directory/users/:id/password',
      access: { permission: 'directory.manage' },
      params: IdParam,
      body: ResetPasswordRequest,
      handler: async ({ actor, params, body, meta }) => {
        await accounts.resetPassword(need(actor), params.id, body.password, meta);
        return { status: 204 };
      },
    }),
    route({
      method: 'PUT',
      path: '/api/v1/directory/users/:id/roles',
      access: { permission: 'directory.manage' },
      params: IdParam,
      body: SetRolesRequest,
      handler: async ({ actor, params, body, meta }) => ({
        body: { roles: await accounts.assignRoles(need(actor), params.id, body.roles, meta) },
      }),
    }),
  ];
}
