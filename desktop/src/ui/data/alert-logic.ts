/**
 * Pure alert logic (no DOM, no timers): which alerts are on screen and in what
 * order, the countdown to the next escalation step, the read-back check, the
 * repeating sound with its short mute, and the timeline's wording keys.
 * Unit-tested in desktop/test/ui/alert-logic.test.ts.
 */
import { AlertView, type AckResponse, type AlertTimelineEntry } from '@konsilium/shared';
import { asksMe } from '../../common/alert-rules.js';

/** One step of an alert's escalation timeline (`AlertTimelineEntry` of the shared schemas). */
export type UiTimelineEntry = AlertTimelineEntry;

/** An alert as the hub sends it (`GET /api/v1/alerts`, the `alert.updated` event). */
export type UiAlert = AlertView;

/** Whether socket or REST data is a valid alert (the shared zod schema). */
export function isUiAlert(v: unknown): v is UiAlert {
  return AlertView.safeParse(v).success;
}

/**
 * Keeps the newer of two versions of an alert: a later timeline (more steps)
 * or a settled state wins, so an out-of-order event never brings back an alert
 * that was already acknowledged.
 */
export function newerAlert(known: UiAlert | undefined, next: UiAlert): UiAlert {
  if (!known) return next;
  if (known.state !== 'open' && next.state === 'open') return known;
  if (next.timeline.length < known.timeline.length && known.state === next.state) return known;
  return next;
}

export { asksMe };

/**
 * The alerts on top of the screen, most pressing first: critical before urgent,
 * critical results before other kinds, then the oldest first (it has waited longest).
 */
export function overlayAlerts(alerts: Iterable<UiAlert>, me: string): UiAlert[] {
  return [...alerts]
    .filter((a) => asksMe(a, me))
    .sort(
      (a, b) =>
        rank(a) - rank(b) || a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id),
    );
}

/**
 * What the Electron shell is told of the overlay: the alerts (message ids)
 * it sounds for now, and whether it is armed, that is signed in with the sound
 * on, so it will sound for any new critical alert asking this user as soon as
 * that arrives. Signed out or silent: nothing, and not armed.
 */
export function overlayReport(
  shown: readonly Pick<UiAlert, 'messageId'>[],
  signedIn: boolean,
  sound: boolean,
): { messageIds: string[]; armed: boolean } {
  const armed = signedIn && sound;
  return { messageIds: armed ? shown.map((a) => a.messageId) : [], armed };
}

function rank(a: UiAlert): number {
  return (a.priority === 'critical' ? 0 : 2) + (a.kind === 'critical_result' ? 0 : 1);
}

/** Seconds until the next escalation step (0 when due; null when no further step). */
export function secondsToNext(a: UiAlert, nowMs: number): number | null {
  if (a.state !== 'open' || !a.step.nextAt) return null;
  const at = Date.parse(a.step.nextAt);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** `m:ss` (or `h:mm:ss`) for a countdown. */
export function formatCountdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * A value as typed for read-back, normalised the way the hub compares it:
 * trimmed, inner spaces dropped, decimal comma as a point, lower case, a leading
 * `+` and trailing zeros after the point ignored ("7,20" = "7.2").
 */
export function normaliseValue(v: string): string {
  let s = v.trim().replace(/\s+/g, '').replace(/,/g, '.').toLowerCase();
  if (s.startsWith('+')) s = s.slice(1);
  if (/^-?\d*\.\d+$/.test(s)) s = s.replace(/0+$/, '').replace(/\.$/, '');
  if (/^-?0\d/.test(s)) s = s.replace(/^(-?)0+(?=\d)/, '$1');
  return s;
}

export type ReadBackProblem = 'value_missing' | 'action_missing' | 'value_mismatch' | null;

/**
 * What is wrong with a read-back before it is sent (the hub checks again):
 * the value is required and must match the result's value, the action taken is required.
 */
export function readBackProblem(a: UiAlert, value: string, action: string): ReadBackProblem {
  if (!value.trim()) return 'value_missing';
  if (a.result && normaliseValue(value) !== normaliseValue(a.result.value))
    return 'value_mismatch';
  if (!action.trim()) return 'action_missing';
  return null;
}

/** Whether accepting this alert needs a read-back (critical results, not yet read back). */
export function needsReadBack(a: UiAlert, response: AckResponse): boolean {
  return a.kind === 'critical_result' && response !== 'decline' && !a.readBack;
}

// ---------------------------------------------------------------------------
// Sound

/** The repeating alarm: when it last sounded and until when the user muted it. */
export interface SoundState {
  lastAt: number | null;
  mutedUntil: number;
}

export const SOUND_REPEAT_MS = 10_000;
export const MUTE_MS = 2 * 60_000;

/**
 * Whether to sound now: only while an alert asks the user, not while muted,
 * and again every `repeatMs` (at once for an alert the user has not heard yet).
 */
export function soundDue(
  s: SoundState,
  nowMs: number,
  asking: boolean,
  fresh: boolean,
  repeatMs = SOUND_REPEAT_MS,
): boolean {
  if (!asking || nowMs < s.mutedUntil) return false;
  if (fresh || s.lastAt === null) return true;
  return nowMs - s.lastAt >= repeatMs;
}

// ---------------------------------------------------------------------------
// Timeline

const ESCALATED_BY_STEP = ['wait', 'backup', 'duty_admin', 'repeat_chain'] as const;
type EscalatedStep = (typeof ESCALATED_BY_STEP)[number];

/**
 * The catalogue key for a timeline entry's wording: an `escalated` entry is
 * worded by its step (waiting, backup, duty administrator, chain repeated).
 */
export function timelineKey(
  e: UiTimelineEntry,
): `alert.tl.${UiTimelineEntry['type']}` | `alert.tl.escalated.${EscalatedStep}` {
  if (e.type === 'escalated' && ESCALATED_BY_STEP.includes(e.stepType as EscalatedStep))
    return `alert.tl.escalated.${e.stepType as EscalatedStep}`;
  return `alert.tl.${e.type}`;
}

/** Who a timeline entry concerns, as one short line (names of the targets or the actor). */
export function timelineWho(e: UiTimelineEntry): string {
  if (e.actor) return e.actor.fullName;
  if (e.targets?.length) return e.targets.map((t) => t.fullName).join(', ');
  return '';
}

/** The patient line of an alert: name and the first identifier. */
export function patientLine(a: UiAlert): string {
  if (!a.patient) return '';
  const id = a.patient.identifiers[0];
  return [a.patient.name, id ? id.value : undefined].filter(Boolean).join(' · ');
}

// ---------------------------------------------------------------------------
// Metrics view

/** The metrics window ending now: the last `days` days (ISO UTC). */
export function metricsWindow(nowMs: number, days: number): { from: string; to: string } {
  const d = Math.min(92, Math.max(1, Math.floor(days)));
  return { from: new Date(nowMs - d * 86_400_000).toISOString(), to: new Date(nowMs).toISOString() };
}

/** A duration for the metrics table: `—` when none, seconds under 2 min, else minutes, else hours. */
export function formatSeconds(s: number | null): string {
  if (s === null) return '—';
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

// ---------------------------------------------------------------------------
// Notification preferences within policy (ESC-3)

export type NotifyModeUi = 'push' | 'digest' | 'feed';
export type PriorityUi = 'low' | 'normal' | 'urgent' | 'critical';
export const PRIORITIES_UI: readonly PriorityUi[] = ['critical', 'urgent', 'normal', 'low'];

/**
 * The delivery modes a person may pick for a priority: only the policy's own
 * mode unless the policy lets people make it quieter; then that mode and the
 * quieter ones (digest exists for low priority only). Critical never gets quieter.
 */
export function allowedModes(
  priority: PriorityUi,
  rule: { mode: NotifyModeUi; userMayQuiet: boolean },
): NotifyModeUi[] {
  if (!rule.userMayQuiet || priority === 'critical') return [rule.mode];
  const order: NotifyModeUi[] = ['push', 'digest', 'feed'];
  return order
    .slice(order.indexOf(rule.mode))
    .filter((m) => m !== 'digest' || priority === 'low' || rule.mode === 'digest');
}

/** Whether the person may turn the sound off for a priority (the policy plays one and allows quieting). */
export function soundChoice(
  priority: PriorityUi,
  rule: { mode: NotifyModeUi; sound: boolean; userMayQuiet: boolean },
): boolean {
  return priority !== 'critical' && rule.mode === 'push' && rule.sound && rule.userMayQuiet;
}

/**
 * The `PUT /api/v1/me/notifications` body after one change: the other
 * priorities keep their preferences; a choice equal to the policy is dropped
 * (it follows the policy again).
 */
export function withPreference(
  policy: Record<PriorityUi, { mode: NotifyModeUi; sound: boolean }>,
  prefs: Partial<Record<PriorityUi, { mode?: NotifyModeUi; sound?: boolean }>>,
  priority: PriorityUi,
  change: { mode?: NotifyModeUi; sound?: boolean },
): { preferences: Partial<Record<PriorityUi, { mode?: NotifyModeUi; sound?: boolean }>> } {
  const preferences = { ...prefs };
  const next = { ...(prefs[priority] ?? {}), ...change };
  if (next.mode === policy[priority].mode) delete next.mode;
  if (next.sound === policy[priority].sound) delete next.sound;
  if (next.mode === undefined && next.sound === undefined) delete preferences[priority];
  else preferences[priority] = next;
  return { preferences };
}
