/**
 * Which new messages become an OS notification (ESC-3). A hub with the
 * notification policy (it answers `GET /api/v1/me/notifications`) decides per
 * person and priority and says so with the per-user event `notify.push`
 * (do-not-disturb holds, off-duty rules and digests are applied there); the
 * client then notifies only for those events. A hub without it sends no such
 * event, and the client notifies for new messages as before.
 * Shared by the Electron main process (AlertWatcher) and the renderer; pure,
 * unit-tested in desktop/test/common.test.ts.
 */
import type { Priority } from '@konsilium/shared';

export interface PushSignal {
  messageId: string;
  conversationId: string;
  priority: Priority;
  sound: boolean;
  repeatUntilAck: boolean;
  reason: string;
}

const PRIORITIES: readonly string[] = ['low', 'normal', 'urgent', 'critical'];

/** A `notify.push` event's data, checked (the socket is outside input for the client too). */
export function isPushSignal(v: unknown): v is PushSignal {
  if (!v || typeof v !== 'object') return false;
  const p = v as Record<string, unknown>;
  return (
    typeof p.messageId === 'string' &&
    typeof p.conversationId === 'string' &&
    typeof p.priority === 'string' &&
    PRIORITIES.includes(p.priority) &&
    typeof p.sound === 'boolean' &&
    typeof p.repeatUntilAck === 'boolean' &&
    typeof p.reason === 'string'
  );
}

export interface GateMessage {
  id: string;
  conversationId: string;
  priority: Priority;
}

export interface PushDecision<M extends GateMessage> {
  /** The message, when this client has seen it (else only the push's ids and priority). */
  message: M | null;
  /** The hub's push (null in `messages` mode: the client's own rules apply). */
  push: PushSignal | null;
}

const REMEMBER = 500;

export class PushGate<M extends GateMessage> {
  /** `messages` until the hub shows it has a notification policy, then `push`. */
  mode: 'messages' | 'push' = 'messages';
  private readonly recent = new Map<string, M>();
  private readonly shown = new Set<string>();

  /** A message arrived (created): what to notify now, or null (wait for the hub's push). */
  onMessage(m: M): PushDecision<M> | null {
    if (this.mode === 'messages') return { message: m, push: null };
    this.recent.set(m.id, m);
    if (this.recent.size > REMEMBER) this.recent.delete(this.recent.keys().next().value!);
    return null;
  }

  /** The hub's `notify.push`: notify once per message (a repeat of the event is ignored). */
  onPush(data: unknown): PushDecision<M> | null {
    if (this.mode !== 'push' || !isPushSignal(data) || this.shown.has(data.messageId)) return null;
    this.shown.add(data.messageId);
    if (this.shown.size > REMEMBER) this.shown.delete(this.shown.values().next().value!);
    return { message: this.recent.get(data.messageId) ?? null, push: data };
  }

  /** Sign-out: forget everything and go back to `messages` until told otherwise. */
  reset(): void {
    this.mode = 'messages';
    this.recent.clear();
    this.shown.clear();
  }
}
