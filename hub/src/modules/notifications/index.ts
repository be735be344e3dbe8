import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/log/logger.js';
import type { HubModule } from '../../platform/module.js';
import type { DurableTimers } from '../../platform/timers/index.js';
import type { AuditLog } from '../audit/index.js';
import { Delivery } from './notifications.delivery.js';
import { MetricsService } from './notifications.metrics.js';
import { PolicyService } from './notifications.policy.js';
import type { NotifyDirectory, NotifyMessaging, NotifyRosters } from './notifications.ports.js';
import { notificationRoutes } from './notifications.routes.js';

export { NOTIFICATIONS_ENTITIES } from './notifications.entity.js';
export { DEFAULT_POLICY } from './notifications.policy.js';
export type {
  NotifyDirectory,
  NotifyEscalationStats,
  NotifyMessaging,
  NotifyRosters,
  WindowMessage,
} from './notifications.ports.js';

export interface NotificationsDeps {
  db: Database;
  audit: AuditLog;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  timers: DurableTimers;
  directory: NotifyDirectory;
  rosters: NotifyRosters;
  messaging: NotifyMessaging;
}

/**
 * Builds the notification policy (ESC-3, ESC-4; ADR 0023) and the metrics
 * endpoint (ADM-1). Listens to `messaging.sent` and `rosters.presence_changed`;
 * answers with per-user stream events through `messaging.user_events`.
 */
export function createNotifications(deps: NotificationsDeps) {
  const log = deps.log.child({ module: 'notifications' });
  const policy = new PolicyService(deps.db, deps.audit, deps.clock, deps.directory);
  const delivery = new Delivery(
    deps.db,
    deps.clock,
    deps.bus,
    deps.timers,
    policy,
    deps.rosters,
    deps.messaging,
    log,
  );
  policy.onChange = (userId) => delivery.forget(userId);
  const metrics = new MetricsService(
    deps.db,
    deps.clock,
    deps.messaging,
    deps.directory,
    deps.rosters,
  );
  const module: HubModule = {
    name: 'notifications',
    routes: notificationRoutes({ policy, metrics }),
    start: () => {
      delivery.subscribe();
      return Promise.resolve();
    },
    stop: () => delivery.stop(),
  };
  return {
    module,
    policy,
    delivery,
    metrics,
    /** Wires the escalation module's numbers into the metrics (optional). */
    useEscalations: (stats: Parameters<MetricsService['useEscalations']>[0]) =>
      metrics.useEscalations(stats),
  };
}
