import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/log/logger.js';
import type { HubModule } from '../../platform/module.js';
import type { AuditLog } from '../audit/index.js';
import type {
  AlertingEscalation,
  AlertingMessaging,
  AlertingPeople,
  AlertingResults,
  AlertingRosters,
  AlertSubjects,
} from './alerting.ports.js';
import { alertingRoutes } from './alerting.routes.js';
import { ResultAlerts } from './alerting.service.js';
import { describeResult } from './alerting.text.js';

export { ALERTING_ENTITIES } from './alerting.entity.js';
export { LAB_SENDER_ID, LAB_SENDER_LOGIN } from './alerting.service.js';
export type {
  AlertingEscalation,
  AlertingMessaging,
  AlertingPeople,
  AlertingResults,
  AlertingRosters,
  AlertingUnit,
  AlertStartInput,
  AlertSubjectDescription,
  AlertSubjectRef,
  AlertSubjects,
} from './alerting.ports.js';

/** Bus events this module listens to (declared by the results module). */
interface ResultEventLike {
  resultId: string;
}

export interface AlertingDeps {
  db: Database;
  audit: AuditLog;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  results: AlertingResults;
  people: AlertingPeople;
  rosters: AlertingRosters;
  messaging: AlertingMessaging;
  escalation: AlertingEscalation;
}

/**
 * Builds the critical-result alerting module (CTX-5, ADR 0022): listens to
 * `results.critical_received`, routes each result, opens its alert (message
 * from the laboratory + escalation) exactly once, sweeps at start for results
 * committed but never alerted, and implements the `AlertSubjects` port.
 */
export function createAlerting(deps: AlertingDeps): {
  module: HubModule;
  subjects: AlertSubjects;
  /** For tests and tools. */
  alerts: ResultAlerts;
} {
  const log = deps.log.child({ module: 'alerting' });
  const alerts = new ResultAlerts({ ...deps, log });
  const subscribe = () =>
    deps.bus.on('results.critical_received', (e: ResultEventLike) =>
      alerts.enqueue(e.resultId, true),
    );
  let off: (() => void) | null = null;
  const subjects: AlertSubjects = {
    async describe(subject) {
      if (subject.type !== 'lab_result') return null;
      const r = alerts.inFlight(subject.id) ?? (await deps.results.getResult(subject.id));
      return r ? describeResult(r) : null;
    },
  };
  return {
    module: {
      name: 'alerting',
      routes: alertingRoutes({ alerts }),
      start() {
        off = subscribe();
        alerts.start();
        return Promise.resolve();
      },
      async stop() {
        off?.();
        off = null;
        await alerts.stop();
      },
    },
    subjects,
    alerts,
  };
}
