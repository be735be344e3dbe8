import { z } from 'zod';
import { Id, Text } from '../protocol/common.js';

/*
 * Alerts and escalation (ESC-2, ESC-5, CTX-5): the alert view, its timeline,
 * acknowledgements and escalation policies. Timings are in seconds.
 * See docs/protocol.md "Alerts and escalation".
 */

export const ALERT_STATES = ['open', 'acknowledged', 'cancelled'] as const;
export const ALERT_KINDS = ['message', 'order', 'critical_result'] as const;
export const ALERT_PRIORITIES = ['urgent', 'critical'] as const;
export const ALERT_RESPONSES = ['accepted', 'coming', 'call_back', 'decline'] as const;
export const ALERT_TIMELINE_TYPES = [
  'started',
  'notified',
  'repeated',
  'escalated',
  'retargeted',
  'external_sent',
  'external_failed',
  'external_skipped',
  'declined',
  'acknowledged',
  'cancelled',
  'fail_safe',
  'read_back',
] as const;
export const ESCALATION_STEP_TYPES = [
  'notify',
  'wait',
  'repeat',
  'backup',
  'duty_admin',
  'external',
  'repeat_chain',
  'fail_safe',
] as const;

export const AlertState = z.enum(ALERT_STATES);
export type AlertState = z.infer<typeof AlertState>;
export const AlertKind = z.enum(ALERT_KINDS);
export type AlertKind = z.infer<typeof AlertKind>;
export const AlertPriority = z.enum(ALERT_PRIORITIES);
export type AlertPriority = z.infer<typeof AlertPriority>;
export const AlertResponse = z.enum(ALERT_RESPONSES);
export type AlertResponse = z.infer<typeof AlertResponse>;
export const ExternalChannelName = z.enum(['email', 'sms']);
export type ExternalChannelName = z.infer<typeof ExternalChannelName>;

/** A person as alerts show them. */
export const AlertPerson = z.object({ id: z.string(), fullName: z.string() });
export type AlertPerson = z.infer<typeof AlertPerson>;

/** One line of an alert's timeline (append-only; never patient data). */
export const AlertTimelineEntry = z.object({
  at: z.string(),
  type: z.enum(ALERT_TIMELINE_TYPES),
  /** Index in the plan snapshot. */
  step: z.number().int().optional(),
  stepType: z.string().optional(),
  targets: z.array(AlertPerson).optional(),
  channel: ExternalChannelName.optional(),
  actor: AlertPerson.optional(),
  response: AlertResponse.optional(),
  note: z.string().optional(),
});
export type AlertTimelineEntry = z.infer<typeof AlertTimelineEntry>;

export const AlertPatient = z.object({
  identifiers: z.array(z.object({ system: z.string(), value: z.string() })),
  name: z.string().optional(),
});
export type AlertPatient = z.infer<typeof AlertPatient>;

export const AlertResult = z.object({
  resultId: z.string(),
  test: z.object({ code: z.string(), display: z.string().optional() }),
  value: z.string(),
  units: z.string().optional(),
  referenceRange: z.string().optional(),
  flag: z.string(),
  observedAt: z.string().optional(),
});
export type AlertResult = z.infer<typeof AlertResult>;

/** `GET /api/v1/alerts/{id}`, items of `GET /api/v1/alerts`, realtime `alert.updated`. */
export const AlertView = z.object({
  id: z.string(),
  state: AlertState,
  kind: AlertKind,
  priority: AlertPriority,
  unitId: z.string().nullable(),
  messageId: z.string(),
  conversationId: z.string(),
  createdAt: z.string(),
  policy: z.object({ id: z.string().nullable(), name: z.string() }),
  patient: AlertPatient.optional(),
  result: AlertResult.optional(),
  /** `nextAt` = when the next step fires (the countdown); null when none is pending. */
  step: z.object({ index: z.number().int(), type: z.string(), nextAt: z.string().nullable() }),
  /** Who is currently asked to acknowledge. */
  targets: z.array(AlertPerson),
  acknowledgedBy: z
    .object({
      id: z.string(),
      fullName: z.string(),
      response: z.string(),
      at: z.string(),
      note: z.string().optional(),
    })
    .optional(),
  readBack: z
    .object({ value: z.string(), action: z.string(), at: z.string(), by: AlertPerson })
    .optional(),
  timeline: z.array(AlertTimelineEntry),
});
export type AlertView = z.infer<typeof AlertView>;

/** `POST /api/v1/alerts/{id}/ack`. */
export const AlertAckRequest = z
  .object({
    response: AlertResponse,
    /** Minutes until arrival (`coming`) or until the call back (`call_back`). */
    minutes: z.number().int().min(1).max(1440).optional(),
    note: Text(500).optional(),
    readBack: z
      .object({ value: Text(200), action: Text(1000) })
      .strict()
      .optional(),
  })
  .strict();
export type AlertAckRequest = z.infer<typeof AlertAckRequest>;

/** `GET /api/v1/alerts?state=&conversationId=` (only that conversation's alerts). */
export const AlertListQuery = z
  .object({
    state: z.enum(['open', 'acknowledged', 'all']).default('open'),
    conversationId: Id.optional(),
  })
  .strict();
export type AlertListQuery = z.infer<typeof AlertListQuery>;

/* ---------------------------------------------------------------- policies */

/** A person or a duty role (the role's on-call people at the time of the step). */
export const EscalationTarget = z.object({ kind: z.enum(['user', 'role']), id: Id }).strict();
export type EscalationTarget = z.infer<typeof EscalationTarget>;

const Seconds = z
  .number()
  .int()
  .min(1)
  .max(7 * 24 * 3600);

export const EscalationStep = z.discriminatedUnion('type', [
  /** Notify the original targets (the message's recipients). */
  z.object({ type: z.literal('notify') }).strict(),
  z.object({ type: z.literal('wait'), seconds: Seconds }).strict(),
  /** Re-notify the current targets every `everySeconds`, `times` times. */
  z
    .object({
      type: z.literal('repeat'),
      everySeconds: Seconds,
      times: z.number().int().min(1).max(50),
    })
    .strict(),
  z.object({ type: z.literal('backup'), target: EscalationTarget }).strict(),
  /** The unit's duty administrator (docs: the unit's administrator duty role, up the tree). */
  z.object({ type: z.literal('duty_admin') }).strict(),
  z.object({ type: z.literal('external'), channel: ExternalChannelName }).strict(),
  /** Run the steps before this one again, `times` times. */
  z.object({ type: z.literal('repeat_chain'), times: z.number().int().min(1).max(10) }).strict(),
]);
export type EscalationStep = z.infer<typeof EscalationStep>;

export const EscalationMatch = z
  .object({
    priorities: z.array(AlertPriority).min(1).max(2),
    kinds: z.array(AlertKind).min(1).max(3),
  })
  .strict();
export type EscalationMatch = z.infer<typeof EscalationMatch>;

/** `POST /api/v1/escalation/policies`, `PUT /api/v1/escalation/policies/{id}`. */
export const EscalationPolicyInput = z
  .object({
    name: Text(200),
    /** null = the whole organisation. */
    unitId: Id.nullable(),
    match: EscalationMatch,
    steps: z.array(EscalationStep).min(1).max(50),
    /** Mandatory last resort, reached when the chain ends unacknowledged. */
    failSafe: EscalationTarget,
  })
  .strict();
export type EscalationPolicyInput = z.infer<typeof EscalationPolicyInput>;

export interface EscalationPolicyView extends EscalationPolicyInput {
  id: string;
  createdAt: string;
  updatedAt: string;
}

export interface EscalationPolicyList {
  items: EscalationPolicyView[];
}

export const AlertIdParam = z.object({ id: Id }).strict();
