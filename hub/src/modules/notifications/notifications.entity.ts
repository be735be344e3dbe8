import { EntitySchema } from 'typeorm';

const v = (length: number, nullable = false, name?: string) => ({
  type: 'varchar' as const,
  length,
  nullable,
  ...(name ? { name } : {}),
});

/** A notification policy set on an organisation or unit (rules as JSON, one per priority). */
export interface NotifyPolicyRow {
  unitId: string;
  rules: string;
  dndMaxHoldSeconds: number;
  digestIntervalSeconds: number;
  updatedAt: string;
  updatedBy: string | null;
}

export const NotifyPolicyEntity = new EntitySchema<NotifyPolicyRow>({
  name: 'NotifyPolicy',
  tableName: 'notify_policy',
  columns: {
    unitId: { ...v(36, false, 'unit_id'), primary: true },
    rules: { type: 'text' },
    dndMaxHoldSeconds: { type: 'integer', name: 'dnd_max_hold_seconds' },
    digestIntervalSeconds: { type: 'integer', name: 'digest_interval_seconds' },
    updatedAt: v(30, false, 'updated_at'),
    updatedBy: v(36, true, 'updated_by'),
  },
});

/** A person's own preferences (JSON, per priority), applied within the policy. */
export interface NotifyPreferenceRow {
  userId: string;
  preferences: string;
  updatedAt: string;
}

export const NotifyPreferenceEntity = new EntitySchema<NotifyPreferenceRow>({
  name: 'NotifyPreference',
  tableName: 'notify_preference',
  columns: {
    userId: { ...v(36, false, 'user_id'), primary: true },
    preferences: { type: 'text' },
    updatedAt: v(30, false, 'updated_at'),
  },
});

/** A push waiting for a person: held by do-not-disturb, or collected for a digest. */
export interface NotifyPendingRow {
  userId: string;
  messageId: string;
  conversationId: string;
  priority: string;
  /** `hold` (do-not-disturb) or `digest`. */
  reason: string;
  sound: boolean;
  repeatUntilAck: boolean;
  createdAt: string;
}

export const NotifyPendingEntity = new EntitySchema<NotifyPendingRow>({
  name: 'NotifyPending',
  tableName: 'notify_pending',
  columns: {
    userId: { ...v(36, false, 'user_id'), primary: true },
    messageId: { ...v(36, false, 'message_id'), primary: true },
    conversationId: v(36, false, 'conversation_id'),
    priority: v(16),
    reason: v(16),
    sound: { type: 'boolean' },
    repeatUntilAck: { type: 'boolean', name: 'repeat_until_ack' },
    createdAt: v(30, false, 'created_at'),
  },
});

/** One interruption of one person (a push, a digest or a break-through), by shift. */
export interface NotifyInterruptionRow {
  id: string;
  userId: string;
  /** The rostered shift id, or `day:YYYY-MM-DD` (UTC) off a shift. */
  shiftKey: string;
  shiftStart: string;
  shiftEnd: string | null;
  at: string;
  priority: string;
  /** `push` or `digest`. */
  kind: string;
  breakThrough: boolean;
  messageId: string | null;
}

export const NotifyInterruptionEntity = new EntitySchema<NotifyInterruptionRow>({
  name: 'NotifyInterruption',
  tableName: 'notify_interruption',
  columns: {
    id: { ...v(36), primary: true },
    userId: v(36, false, 'user_id'),
    shiftKey: v(60, false, 'shift_key'),
    shiftStart: v(30, false, 'shift_start'),
    shiftEnd: v(30, true, 'shift_end'),
    at: v(30),
    priority: v(16),
    kind: v(16),
    breakThrough: { type: 'boolean', name: 'break_through' },
    messageId: v(36, true, 'message_id'),
  },
});

export const NOTIFICATIONS_ENTITIES = [
  NotifyPolicyEntity,
  NotifyPreferenceEntity,
  NotifyPendingEntity,
  NotifyInterruptionEntity,
];
