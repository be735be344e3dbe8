import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import { AppError, isAppError, type ErrorBody } from '@konsilium/shared';
import type { Logger } from '../log/logger.js';

/**
 * First in the chain: gives every request an id, turns an {@link AppError} into
 * its status and `{ error: { code, message, field?, requestId } }`, and
 * anything else into a logged 500 with a generic message (no stack leaves the hub).
 */
export function errorMiddleware(log: Logger): Middleware {
  return async (ctx, next) => {
    const requestId = randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Content-Type-Options', 'nosniff');
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new AppError('http.not_found');
    } catch (raw) {
      const err = isAppError(raw)
        ? raw
        : new AppError('internal.error', { cause: raw, expose: false });
      if (err.status >= 500) {
        log.error({ err: raw, requestId, path: ctx.path, method: ctx.method }, 'request failed');
      }
      const body: ErrorBody = {
        error: {
          code: err.code,
          message: err.expose ? err.message : 'Internal error',
          requestId,
          ...(err.field !== undefined ? { field: err.field } : {}),
          ...(err.details !== undefined && err.expose ? { details: err.details } : {}),
        },
      };
      ctx.status = err.status;
      ctx.body = body;
      if (err.code === 'auth.throttled' && typeof err.details?.retryAfterSeconds === 'number') {
        ctx.set('Retry-After', String(err.details.retryAfterSeconds));
      }
    }
  };
}
