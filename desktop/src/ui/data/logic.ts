/**
 * Pure UI logic (no DOM): receipts, the inbox order, the virtual list window.
 * Unit-tested in desktop/test/ui.
 */
import type { ConversationView, MessageView, ReceiptEvent } from '@konsilium/shared';

/** A message as events and history carry it: system messages also have `system`. */
export type UiMessage = MessageView & {
  system?: { action: 'invited' | 'joined' | 'left' | 'removed'; userIds: string[] };
};

/** The acknowledgement answers the UI offers, in button order. */
export const ACK_BUTTONS = ['accepted', 'coming', 'call_back', 'decline'] as const;

/** Whether a message asks its recipients for an acknowledgement (buttons shown). */
export function needsAck(m: UiMessage): boolean {
  return (
    m.recalledAt === null &&
    m.system === undefined &&
    (m.kind === 'order' || m.priority === 'urgent' || m.priority === 'critical')
  );
}

/**
 * Applies a `message.receipt` event to a message's receipts (watermarks:
 * everything up to `readSeq` is read). Returns a new receipts object, or the
 * same one when nothing changed.
 */
export function applyReceipt(m: UiMessage, r: ReceiptEvent): MessageView['receipts'] {
  const receipts = m.receipts;
  if (!receipts || r.conversationId !== m.conversationId) return receipts;
  let changed = false;
  const members = receipts.members.map((x) => {
    if (x.userId !== r.userId) return x;
    const deliveredAt = x.deliveredAt ?? (r.deliveredSeq >= m.seq ? r.deliveredAt : null);
    const readAt = x.readAt ?? (r.readSeq >= m.seq ? r.readAt : null);
    if (deliveredAt === x.deliveredAt && readAt === x.readAt) return x;
    changed = true;
    return { ...x, deliveredAt, readAt };
  });
  if (!changed) return receipts;
  return {
    total: members.length,
    delivered: members.filter((x) => x.deliveredAt !== null || x.readAt !== null).length,
    read: members.filter((x) => x.readAt !== null).length,
    members,
  };
}

/** Who of the recipients has not read the message yet (user ids). */
export function notReadBy(m: UiMessage): string[] {
  return (m.receipts?.members ?? []).filter((x) => x.readAt === null).map((x) => x.userId);
}

export type InboxReason = 'alert' | 'unreadUrgent' | 'unackedOrder' | 'unread';

export interface InboxItem {
  message: UiMessage;
  conversation: ConversationView;
  reason: InboxReason;
}

const PRIORITY_RANK: Record<MessageView['priority'], number> = {
  critical: 0,
  urgent: 1,
  normal: 2,
  low: 3,
};

/**
 * INB-1: what needs the user. Messages carrying an open alert (critical results
 * first) lead, then unread urgent/critical messages (critical before urgent),
 * then orders the user has not acknowledged, then the rest of the unread;
 * newest first within each group. `readSeq` is the user's read watermark per
 * conversation; `alerts` maps a message id to its open alert's kind.
 */
export function buildInbox(
  me: string,
  conversations: readonly ConversationView[],
  messages: ReadonlyMap<string, readonly UiMessage[]>,
  readSeq: ReadonlyMap<string, number>,
  alerts: ReadonlyMap<string, 'message' | 'order' | 'critical_result'> = new Map(),
): InboxItem[] {
  const items: InboxItem[] = [];
  for (const conversation of conversations) {
    const watermark = readSeq.get(conversation.id) ?? 0;
    for (const m of messages.get(conversation.id) ?? []) {
      if (m.authorId === me || m.recalledAt !== null || m.system !== undefined) continue;
      const unread = m.seq > watermark;
      const urgent = m.priority === 'urgent' || m.priority === 'critical';
      const acked = m.acks.some((a) => a.userId === me);
      let reason: InboxReason | null = null;
      if (alerts.has(m.id)) reason = 'alert';
      else if (unread && urgent && !acked) reason = 'unreadUrgent';
      else if (m.kind === 'order' && !acked) reason = 'unackedOrder';
      else if (unread) reason = 'unread';
      if (reason) items.push({ message: m, conversation, reason });
    }
  }
  const group: Record<InboxReason, number> = {
    alert: 0,
    unreadUrgent: 1,
    unackedOrder: 2,
    unread: 3,
  };
  const resultFirst = (i: InboxItem) =>
    i.reason === 'alert' && alerts.get(i.message.id) === 'critical_result' ? 0 : 1;
  return items.sort(
    (a, b) =>
      group[a.reason] - group[b.reason] ||
      resultFirst(a) - resultFirst(b) ||
      PRIORITY_RANK[a.message.priority] - PRIORITY_RANK[b.message.priority] ||
      b.message.seq - a.message.seq,
  );
}

/** The highest priority among a conversation's unread messages (for the list's marker). */
export function unreadPriority(
  me: string,
  list: readonly UiMessage[],
  watermark: number,
): MessageView['priority'] | null {
  let best: MessageView['priority'] | null = null;
  for (const m of list) {
    if (m.authorId === me || m.seq <= watermark || m.recalledAt !== null || m.system) continue;
    if (best === null || PRIORITY_RANK[m.priority] < PRIORITY_RANK[best]) best = m.priority;
  }
  return best;
}

/** Sorts conversations: the newest activity first. */
export function byActivity(a: ConversationView, b: ConversationView): number {
  return b.lastSeq - a.lastSeq;
}

/** Whether a conversation is bound to this patient identifier. */
export function isAboutPatient(c: ConversationView, system: string, value: string): boolean {
  return c.patient !== null && c.patient.system === system && c.patient.value === value;
}

// ---------------------------------------------------------------------------
// Virtual list

export interface VirtualWindow {
  /** First rendered index (inclusive). */
  start: number;
  /** Last rendered index (exclusive). */
  end: number;
  /** Height of the spacer above the rendered items. */
  before: number;
  /** Height of the spacer below them. */
  after: number;
  /** Height of all items. */
  total: number;
}

/**
 * Which items to render for a scroll position: items whose box meets the
 * viewport `[scrollTop, scrollTop + viewport)`, plus `overscan` items either
 * side. `heights[i]` is item i's measured (or estimated) height.
 */
export function virtualWindow(
  heights: readonly number[],
  scrollTop: number,
  viewport: number,
  overscan = 6,
): VirtualWindow {
  const n = heights.length;
  const offsets = new Array<number>(n + 1);
  offsets[0] = 0;
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + heights[i]!;
  const total = offsets[n]!;
  if (n === 0) return { start: 0, end: 0, before: 0, after: 0, total: 0 };
  const top = Math.max(0, Math.min(scrollTop, Math.max(0, total - viewport)));
  const bottom = top + Math.max(viewport, 0);
  // First item whose bottom edge is below `top`.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid + 1]! <= top) lo = mid + 1;
    else hi = mid;
  }
  let last = lo;
  while (last < n - 1 && offsets[last + 1]! < bottom) last++;
  const start = Math.max(0, lo - overscan);
  const end = Math.min(n, last + 1 + overscan);
  return { start, end, before: offsets[start]!, after: total - offsets[end]!, total };
}
