import type { EscalationMetrics } from '@konsilium/shared';

/** What the notification policy needs of the directory; wired in hub.ts. */
export interface NotifyDirectory {
  /** Every unit (flat): id, parent, name. */
  units(): Promise<{ id: string; parentId: string | null; name: string }[]>;
  /** The units a person belongs to; null for an unknown person. */
  person(userId: string): Promise<{ fullName: string; unitIds: string[] } | null>;
}

/** What the notification policy needs of rosters; wired in hub.ts. */
export interface NotifyRosters {
  /** The person's presence now: `dnd` holds pushes, `off_duty` limits them. */
  presence(userId: string): Promise<{ status: string; until: string | null }>;
  /** The published shift the person works at `at` (interruptions are counted per shift). */
  shiftOf(userId: string, at: Date): Promise<{ id: string; startAt: string; endAt: string } | null>;
  /** Duty role names by id (metrics labels). */
  roleNames(): Promise<Map<string, string>>;
}

/**
 * Escalation numbers for the metrics (ADM-1), supplied by the escalation
 * module when the hub has one; without it the metrics say `available: false`.
 */
export interface NotifyEscalationStats {
  summary(q: {
    from: string;
    to: string;
    /** Only escalations of these units; null = all. */
    unitIds: string[] | null;
  }): Promise<Omit<EscalationMetrics, 'available'>>;
}

/** One message of a metrics window as messaging reports it. */
export interface WindowMessage {
  id: string;
  conversationId: string;
  /** The conversation's unit, if it has one. */
  unitId: string | null;
  authorId: string;
  priority: string;
  kind: string;
  /** Sent to a duty role: the role. */
  roleId: string | null;
  createdAt: string;
  /** Members other than the author when it was sent, with when their watermarks passed it. */
  recipients: { userId: string; deliveredAt: string | null; readAt: string | null }[];
  acks: { userId: string; response: string; at: string }[];
}

/** What the metrics need of messaging; wired in hub.ts. */
export interface NotifyMessaging {
  /** Messages (not system ones) created in [from, to), with receipts and acknowledgements. */
  window(from: string, to: string): Promise<{ messages: WindowMessage[] }>;
  /**
   * Which of these messages the person has already read or acknowledged (a
   * held push or digest item for them is dropped). Unknown messages, or ones
   * the person can no longer see, are not in the answer.
   */
  readBy(userId: string, messageIds: readonly string[]): Promise<Set<string>>;
}
