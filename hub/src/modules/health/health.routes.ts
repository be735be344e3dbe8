import { AppError } from '@konsilium/shared';
import { route, type Route } from '../../platform/http/routes.js';

/** `GET /healthz`: the process answers. `GET /readyz`: the database answers and is migrated. */
export function healthRoutes(isReady: () => Promise<boolean>): Route[] {
  return [
    route({
      method: 'GET',
      path: '/healthz',
      access: 'public',
      handler: async () => ({ body: { status: 'ok' } }),
    }),
    route({
      method: 'GET',
      path: '/readyz',
      access: 'public',
      handler: async () => {
        if (!(await isReady())) throw new AppError('hub.not_ready');
        return { body: { status: 'ready' } };
      },
    }),
  ];
}
