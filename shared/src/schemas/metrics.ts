import { z } from 'zod';
import type { Priority } from '../domain/messaging.js';
import { Id, IsoTime } from '../protocol/common.js';

/**
 * Communication metrics (ADM-1): `GET /api/v1/admin/metrics?from=&to=&unitId=`,
 * permission `metrics.view`. See docs/protocol.md.
 */

/** The longest window one metrics request may cover. */
export const METRICS_MAX_DAYS = 92;

/** Query parameters (strings on the wire); `from` < `to`, at most 92 days apart. */
export const MetricsQuery = z
  .object({
    from: IsoTime,
    to: IsoTime,
    /** Only conversations of this unit or its sub-units. */
    unitId: Id.optional(),
  })
  .strict();
export type MetricsQuery = z.infer<typeof MetricsQuery>;

/** Durations in seconds over the items that reached the state; null when none did. */
export interface LatencyStats {
  /** How many items reached the state (delivered / read / acknowledged). */
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
}

/**
 * Timings of one group of messages. `deliver` and `read` are per recipient
 * (message → that recipient's delivered / read watermark passing it);
 * `ack` is per message (message → its first accepting acknowledgement).
 */
export interface TimingGroup {
  /** The priority, unit id or duty role id; null = no unit / not sent to a role. */
  key: string | null;
  /** Display name (unit or role name, or the priority); empty when unknown. */
  label: string;
  /** Messages in the group. */
  messages: number;
  /** (message, recipient) pairs in the group. */
  recipients: number;
  deliver: LatencyStats;
  read: LatencyStats;
  ack: LatencyStats;
}

/** Pushes and break-throughs one person had during one shift (fatigue metric, ESC-4). */
export interface InterruptionRow {
  userId: string;
  fullName: string;
  /** A rostered shift id, or `day:YYYY-MM-DD` (UTC) when the person was not on a shift. */
  shiftKey: string;
  shiftStart: string;
  shiftEnd: string | null;
  /** Every push, digest and break-through counts. */
  count: number;
  /** Of those, critical pushes that broke through do-not-disturb or off duty. */
  breakThroughs: number;
}

/** Escalations started in the window (from the escalation module, when it is wired). */
export interface EscalationMetrics {
  /** False when the hub has no escalation module wired: every number is 0. */
  available: boolean;
  started: number;
  acknowledged: number;
  open: number;
  cancelled: number;
  /** How many were acknowledged at each step index (0 = the first step). */
  acknowledgedAtStep: { step: number; count: number }[];
}

export interface MetricsView {
  from: string;
  to: string;
  unitId: string | null;
  generatedAt: string;
  volumes: {
    /** Messages sent in the window (system messages excluded). */
    total: number;
    orders: number;
    byPriority: Record<Priority, number>;
  };
  byPriority: TimingGroup[];
  byUnit: TimingGroup[];
  byRole: TimingGroup[];
  interruptions: InterruptionRow[];
  escalations: EscalationMetrics;
}
