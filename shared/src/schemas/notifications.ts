import { z } from 'zod';
import type { Priority } from '../domain/messaging.js';

/**
 * Notification policy (ESC-3, ESC-4): what reaches a person as an OS
 * notification and what only appears in the feed, per priority, set per
 * organisation or unit (the nearest policy up the tree wins), and the
 * preferences each person may set within it. See docs/protocol.md.
 */

/** `push` = OS notification now; `digest` = batched (low only); `feed` = inbox only. */
export const NOTIFY_MODES = ['push', 'digest', 'feed'] as const;
export type NotifyMode = (typeof NOTIFY_MODES)[number];

export const NotifyRule = z
  .object({
    mode: z.enum(NOTIFY_MODES),
    /** Play a sound with the push (push only). */
    sound: z.boolean().default(false),
    /** The client repeats the push until the message is acknowledged (push only). */
    repeatUntilAck: z.boolean().default(false),
    /** Whether people off duty still get this push (otherwise feed only while off duty). */
    offDuty: z.boolean().default(false),
    /** Whether people may make it quieter for themselves (push → digest/feed, sound off). */
    userMayQuiet: z.boolean().default(false),
  })
  .strict();
export type NotifyRule = z.infer<typeof NotifyRule>;

const Seconds = (min: number, max: number) => z.number().int().min(min).max(max);

/** `PUT /api/v1/notifications/policies/{unitId}` body: every priority has a rule. */
export const NotifyPolicyInput = z
  .object({
    rules: z
      .object({ low: NotifyRule, normal: NotifyRule, urgent: NotifyRule, critical: NotifyRule })
      .strict(),
    /** Do-not-disturb holds a push at most this long, then delivers it anyway. */
    dndMaxHoldSeconds: Seconds(10, 86_400).default(1800),
    /** How often low-priority items are batched into one digest push. */
    digestIntervalSeconds: Seconds(10, 86_400).default(3600),
  })
  .strict();
export type NotifyPolicyInput = z.infer<typeof NotifyPolicyInput>;

export interface NotifyPolicyView {
  /** The organisation or unit the policy is set on. */
  unitId: string;
  unitName: string;
  rules: Record<Priority, NotifyRule>;
  dndMaxHoldSeconds: number;
  digestIntervalSeconds: number;
  updatedAt: string;
  updatedBy: string | null;
}

/** One priority's personal choice; absent fields follow the policy. */
export const NotifyPreference = z
  .object({ mode: z.enum(NOTIFY_MODES).optional(), sound: z.boolean().optional() })
  .strict();
export type NotifyPreference = z.infer<typeof NotifyPreference>;

/** `PUT /api/v1/me/notifications` body. Replaces every preference. */
export const NotifyPreferencesInput = z
  .object({
    preferences: z
      .object({
        low: NotifyPreference.optional(),
        normal: NotifyPreference.optional(),
        urgent: NotifyPreference.optional(),
        critical: NotifyPreference.optional(),
      })
      .strict(),
  })
  .strict();
export type NotifyPreferencesInput = z.infer<typeof NotifyPreferencesInput>;

/** `GET/PUT /api/v1/me/notifications`. */
export interface MyNotificationsView {
  /** The unit whose policy applies; null = the hub's built-in default. */
  policyUnitId: string | null;
  policy: Record<Priority, NotifyRule>;
  preferences: Partial<Record<Priority, NotifyPreference>>;
  /** What the hub does for this person: the policy with the allowed preferences applied. */
  effective: Record<Priority, NotifyRule>;
  dndMaxHoldSeconds: number;
  digestIntervalSeconds: number;
}

/** Why a `notify.push` was sent now. */
export const PUSH_REASONS = [
  'policy',
  'break_through',
  'dnd_ended',
  'max_hold',
  'off_duty_allowed',
] as const;
export type PushReason = (typeof PUSH_REASONS)[number];

/** Per-user stream event `notify.push`: desktop clients show an OS notification only for this. */
export interface NotifyPushEvent {
  messageId: string;
  conversationId: string;
  priority: Priority;
  sound: boolean;
  repeatUntilAck: boolean;
  reason: PushReason;
}

/** Per-user stream event `notify.digest`: low-priority items batched over an interval. */
export interface NotifyDigestEvent {
  count: number;
  items: { messageId: string; conversationId: string; priority: Priority; at: string }[];
  since: string;
}
