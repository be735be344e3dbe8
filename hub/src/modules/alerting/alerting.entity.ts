import { EntitySchema } from 'typeorm';

/** Which routing rule chose the targets of a critical result's alert (ADR 0022). */
export type RoutingRule = 'ordering_clinician' | 'unit_on_call' | 'fail_safe';

/**
 * One critical result's alert: `pending` until the message is sent and the
 * escalation started, then `opened`. Keyed by the result, so a result opens
 * one alert whatever the retries, restarts or duplicate deliveries.
 */
export interface ResultAlertRow {
  resultId: string;
  state: 'pending' | 'opened';
  /** When the result was received (the sweep's watermark). */
  receivedAt: string;
  rule: RoutingRule | null;
  unitId: string | null;
  roleId: string | null;
  /** JSON array of staff ids. */
  targets: string | null;
  conversationId: string | null;
  /** Derived from the result id, so a retried send is recognised by messaging. */
  messageId: string;
  alertId: string | null;
  attempts: number;
  /** The last failure's error code or class (never patient data). */
  lastError: string | null;
  createdAt: string;
  openedAt: string | null;
}

const v = (length: number, nullable = false, name?: string) => ({
  type: 'varchar' as const,
  length,
  nullable,
  ...(name ? { name } : {}),
});

export const ResultAlertEntity = new EntitySchema<ResultAlertRow>({
  name: 'ResultAlert',
  tableName: 'result_alert',
  columns: {
    resultId: { ...v(36, false, 'result_id'), primary: true },
    state: v(12),
    receivedAt: v(30, false, 'received_at'),
    rule: v(20, true),
    unitId: v(36, true, 'unit_id'),
    roleId: v(36, true, 'role_id'),
    targets: { type: 'text', nullable: true },
    conversationId: v(36, true, 'conversation_id'),
    messageId: v(36, false, 'message_id'),
    alertId: v(36, true, 'alert_id'),
    attempts: { type: 'integer', default: 0 },
    lastError: v(200, true, 'last_error'),
    createdAt: v(30, false, 'created_at'),
    openedAt: v(30, true, 'opened_at'),
  },
});

export const ALERTING_ENTITIES = [ResultAlertEntity];
