import type { IncomingMessage } from 'node:http';
import type { ZodType, ZodTypeDef } from 'zod';
import type { Permission } from '@konsilium/shared';
import type { Actor, RequestMeta } from './actor.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route, declared once per route and checked by the router:
 * `public` (no session), `session` (any signed-in user) or one permission.
 */
export type Access = 'public' | 'session' | { permission: Permission };

/** What a handler receives: validated input and the caller. It never sees Koa. */
export interface RouteRequest<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  actor: Actor | null;
  meta: RequestMeta;
  /** The raw request, for routes that stream a body (imports). */
  raw: IncomingMessage;
  /** The bearer token of the call (for logout); never logged. */
  token: string | null;
}

export interface RouteResponse {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One row of a module's route table. */
export interface Route<P = unknown, Q = unknown, B = unknown> {
  method: Method;
  path: string;
  access: Access;
  params?: ZodType<P, ZodTypeDef, unknown>;
  query?: ZodType<Q, ZodTypeDef, unknown>;
  body?: ZodType<B, ZodTypeDef, unknown>;
  /** `raw`: the handler reads the body itself from `raw`. Default `json`. */
  bodyKind?: 'json' | 'raw';
  handler: (req: RouteRequest<P, Q, B>) => Promise<RouteResponse>;
}

/** Keeps the generic types of one route while collecting routes of different shapes. */
export function route<P = unknown, Q = unknown, B = unknown>(def: Route<P, Q, B>): Route {
  return def as unknown as Route;
}
