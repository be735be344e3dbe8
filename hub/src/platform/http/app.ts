import Koa, { type Middleware } from 'koa';
import Router from '@koa/router';
import { AppError } from '@konsilium/shared';
import type { Logger } from '../log/logger.js';
import type { Actor, Authenticator, RequestMeta } from './actor.js';
import { readJsonBody } from './body.js';
import { errorMiddleware } from './errors.middleware.js';
import type { Route } from './routes.js';
import { validate } from './validate.js';

export interface HttpAppOptions {
  log: Logger;
  routes: Route[];
  authenticate: Authenticator;
  maxJsonBytes: number;
  trustProxy: boolean;
  /** Answers what no route took (the web client at `/`, see static.ts). */
  fallback?: Middleware;
}

function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer ([A-Za-z0-9_-]{16,200})$/.exec(header.trim());
  return match ? match[1]! : null;
}

/** Builds the Koa app from the route tables of all modules. */
export function createHttpApp(options: HttpAppOptions): Koa {
  const app = new Koa({ proxy: options.trustProxy, maxIpsCount: 1 });
  const router = new Router();
  app.use(errorMiddleware(options.log));

  for (const def of options.routes) {
    const method = def.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    router[method](def.path, async (ctx) => {
      const meta: RequestMeta = {
        requestId: String(ctx.state.requestId),
        ip: ctx.ip,
        userAgent: ctx.get('user-agent') || null,
      };
      const token = bearer(ctx.get('authorization') || undefined);
      let actor: Actor | null = null;
      if (def.access !== 'public') {
        if (!token) {
          throw new AppError(
            ctx.get('authorization') ? 'auth.session_expired' : 'auth.unauthenticated',
          );
        }
        actor = await options.authenticate(token, meta);
        if (typeof def.access === 'object' && !actor.permissions.has(def.access.permission)) {
          throw new AppError('auth.forbidden', {
            details: { permission: def.access.permission },
          });
        }
      }
      const params = def.params ? validate(def.params, ctx.params, 'path') : ctx.params;
      const query = def.query ? validate(def.query, { ...ctx.query }, 'query') : {};
      let body: unknown = undefined;
      if (def.bodyKind !== 'raw') {
        const raw = await readJsonBody(ctx.req, options.maxJsonBytes);
        body = def.body ? validate(def.body, raw ?? {}, 'body') : raw;
      }
      const result = await def.handler({ params, query, body, actor, meta, raw: ctx.req, token });
      ctx.status = result.status ?? 200;
      if (result.headers) ctx.set(result.headers);
      ctx.body = result.body ?? (ctx.status === 204 ? null : {});
      if (ctx.status === 204) ctx.body = null;
    });
  }
  app.use(router.routes());
  app.use(
    router.allowedMethods({
      throw: true,
      methodNotAllowed: () => new AppError('http.method_not_allowed'),
      notImplemented: () => new AppError('http.method_not_allowed'),
    }),
  );
  if (options.fallback) app.use(options.fallback);
  return app;
}
