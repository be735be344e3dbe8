/**
 * What an OS notification says. Notifications show on a shared workstation
 * screen (and on the lock screen), so by default they carry no patient data and
 * no message text: only the priority and that something is waiting. The
 * hospital's policy `notifications.showPatientData` allows details.
 */
import type { DesktopNotification } from '../../common/bridge.js';
import type { Priority } from '@konsilium/shared';

export type Language = 'ru' | 'en';

export interface NotificationPolicy {
  showPatientData: boolean;
  language: Language;
}

export interface NotificationText {
  title: string;
  body: string;
}

const PRIORITY_TITLE: Record<Language, Record<Priority, string>> = {
  ru: {
    low: 'Новое сообщение',
    normal: 'Новое сообщение',
    urgent: 'Срочное сообщение',
    critical: 'КРИТИЧЕСКОЕ сообщение',
  },
  en: {
    low: 'New message',
    normal: 'New message',
    urgent: 'Urgent message',
    critical: 'CRITICAL message',
  },
};

const GENERIC_BODY: Record<Language, { plain: string; ack: string }> = {
  ru: {
    plain: 'Откройте Консилиум, чтобы прочитать.',
    ack: 'Требуется подтверждение. Откройте Консилиум.',
  },
  en: {
    plain: 'Open Konsilium to read it.',
    ack: 'Acknowledgement required. Open Konsilium.',
  },
};

/** Longest body we hand to the OS (toasts cut long text anyway). */
export const MAX_BODY = 200;

function clip(text: string, max: number): string {
  // Collapse whitespace and control characters so a message cannot fake extra toast lines.
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\s]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export interface AlertFacts {
  priority: Priority;
  /** Order or urgent/critical message that asks for an acknowledgement. */
  needsAck: boolean;
  /** Message text (may name the patient). */
  text?: string;
  /** Sender's name (staff, not patient data). */
  author?: string;
  /** Patient label of a patient-bound conversation. */
  patientLabel?: string;
}

/** The notification text for a message under the policy. */
export function buildNotificationText(
  facts: AlertFacts,
  policy: NotificationPolicy,
): NotificationText {
  const lang = policy.language;
  const head = PRIORITY_TITLE[lang][facts.priority];
  const generic = facts.needsAck ? GENERIC_BODY[lang].ack : GENERIC_BODY[lang].plain;
  if (!policy.showPatientData) {
    return { title: facts.author ? `${head} · ${clip(facts.author, 60)}` : head, body: generic };
  }
  const title = [
    head,
    facts.author && clip(facts.author, 60),
    facts.patientLabel && clip(facts.patientLabel, 60),
  ]
    .filter(Boolean)
    .join(' · ');
  const body = facts.text ? clip(facts.text, MAX_BODY) : generic;
  return { title, body: body || generic };
}

/**
 * A notification the renderer asks for (`notify` on the bridge) made to fit the
 * policy: without permission to show patient data, its title and body (which
 * the renderer may have filled with message text) are replaced by the generic
 * wording for its priority.
 */
export function applyNotificationPolicy(
  n: DesktopNotification,
  policy: NotificationPolicy,
): DesktopNotification {
  const needsAck = n.priority === 'urgent' || n.priority === 'critical';
  if (!policy.showPatientData) {
    const t = buildNotificationText({ priority: n.priority, needsAck }, policy);
    return { ...n, title: t.title, body: t.body };
  }
  return {
    ...n,
    title: clip(n.title, 120) || PRIORITY_TITLE[policy.language][n.priority],
    body: clip(n.body, MAX_BODY),
  };
}
