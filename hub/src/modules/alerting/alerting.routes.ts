import { z } from 'zod';
import { AppError } from '@konsilium/shared';
import { route, type Route } from '../../platform/http/routes.js';
import type { ResultAlertReadBack, ResultAlerts } from './alerting.service.js';

const IdParam = z.object({ id: z.string().uuid() }).strict();

/**
 * `GET /api/v1/results/{id}/alert`: the alert of a critical result — routing
 * rule, targets, ids of the alert, its message and conversation, and the
 * clinician's read-back (value, action, who, when) once given; the MIS
 * write-back reads it here.
 */
export function alertingRoutes(s: { alerts: ResultAlerts }): Route[] {
  return [
    route({
      method: 'GET',
      path: '/api/v1/results/:id/alert',
      access: { permission: 'results.read' },
      params: IdParam,
      handler: async ({ params }) => {
        const view = await s.alerts.view(params.id);
        if (!view) throw new AppError('results.alert_not_found');
        return { body: view };
      },
    }),
  ];
}

export type { ResultAlertReadBack };
