import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/log/logger.js';
import type { HubModule } from '../../platform/module.js';
import type { DurableTimers } from '../../platform/timers/index.js';
import type { AuditLog } from '../audit/index.js';
import { EscalationEngine } from './escalation.engine.js';
import { Policies } from './escalation.policies.js';
import type {
  AlertSubject,
  AlertSubjects,
  EscalationChannels,
  EscalationMessaging,
  EscalationPeople,
  EscalationRoles,
} from './escalation.ports.js';
import { escalationRoutes } from './escalation.routes.js';
import { escalationSummary } from './escalation.metrics.js';

export { ESCALATION_ENTITIES } from './escalation.entity.js';
export { STEP_TIMER, normaliseValue } from './escalation.engine.js';
export { BUILTIN_CRITICAL } from './escalation.policies.js';
export type {
  AlertSubject,
  AlertSubjects,
  EscalationChannels,
  EscalationMessaging,
  EscalationPeople,
  EscalationRoles,
} from './escalation.ports.js';

/** An alert message to escalate (the ports `startForMessage` and `prepareStarts`). */
export interface AlertStart {
  messageId: string;
  conversationId: string;
  unitId: string | null;
  priority: 'urgent' | 'critical';
  kind: 'message' | 'order' | 'critical_result';
  targets: string[];
  roleId?: string;
  subject?: AlertSubject;
}

export interface EscalationDeps {
  db: Database;
  audit: AuditLog;
  clock: Clock;
  log: Logger;
  bus: EventBus;
  /** Registers its timer kind here; must be built before `timers.start()`. */
  timers: DurableTimers;
  people: EscalationPeople;
  roles: EscalationRoles;
  messaging: EscalationMessaging;
  channels: EscalationChannels;
  link: (alertId: string) => string;
}

/** Builds escalation (ADR 0021): policies, the engine on durable timers, alerts REST. */
export function createEscalation(deps: EscalationDeps) {
  const log = deps.log.child({ module: 'escalation' });
  const policies = new Policies(deps.db, deps.audit, deps.clock, deps.people, deps.roles);
  const engine = new EscalationEngine({ ...deps, log, policies });
  engine.subscribe();
  const module: HubModule = {
    name: 'escalation',
    routes: escalationRoutes(engine, policies),
    stop: () => engine.stop(),
  };
  return {
    module,
    policies,
    engine,
    /**
     * Starts the escalation of an alert message (idempotent per message); a
     * critical item always gets one (the built-in plan when no policy matches).
     */
    startForMessage: async (input: AlertStart): Promise<{ alertId: string }> => {
      const r = await engine.startForMessage(input);
      if (!r.alertId) throw new Error('no escalation policy covers this item');
      return { alertId: r.alertId };
    },
    /**
     * Escalations of alert messages the caller writes in its own transaction
     * (see {@link EscalationEngine.prepareStarts}).
     */
    prepareStarts: (inputs: AlertStart[]) => engine.prepareStarts(inputs),
    /** Who the fail-safe of the plan for such an item is. */
    failSafeFor: (q: {
      unitId: string | null;
      priority: 'urgent' | 'critical';
      kind: 'message' | 'order' | 'critical_result';
    }) => engine.failSafeFor(q),
    /** The next `messaging.sent` of this message starts nothing (the caller starts it itself). */
    ignoreMessage: (messageId: string) => engine.ignoreMessage(messageId),
    /** Wires the describer of alert subjects (critical results). */
    setSubjects: (s: AlertSubjects | null) => engine.setSubjects(s),
    /**
     * After the hub listens (the link in a send names its address): sends
     * what a crashed hub left pending, then looks for orphaned sends now and
     * then (ADR 0021, 2026-11-28).
     */
    startOutbox: () => engine.outbox.start(),
    /** Claims and sends pending external sends no live claim holds; how many it claimed. */
    sweepOutbox: () => engine.outbox.sweep(),
    /** Removes finished external sends older than a week; how many (the sweep runs it too). */
    purgeOutbox: () => engine.outbox.purge(),
    /** Settles when pending after-commit work is done (tests). */
    settled: () => engine.settled(),
    /** Escalation numbers of a window for the metrics endpoint (ADM-1). */
    metricsSummary: (q: { from: string; to: string; unitIds: string[] | null }) =>
      escalationSummary(deps.db, q),
  };
}
