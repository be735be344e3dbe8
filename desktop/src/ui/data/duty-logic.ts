/**
 * Pure helpers of the duty screens: what a person may do with a swap request,
 * which features the signed-in user's permissions show, the request of a
 * recurring pattern built from the editor's form, and calendar feed links.
 */
import type { CreatePatternRequest, PresenceView, SwapView } from '@konsilium/shared';

export type SwapAction = 'accept' | 'decline' | 'approve' | 'reject' | 'cancel';

/**
 * The steps `me` may take on a swap request, in the order the UI shows them
 * (the hub enforces the same rules): the colleague accepts or declines a new
 * request; a coordinator approves an accepted one that needs approval and may
 * reject any open one; the requester (or the shift's owner) may cancel while open.
 */
export function swapActions(swap: SwapView, me: string, coordinator: boolean): SwapAction[] {
  const open = swap.state === 'requested' || swap.state === 'accepted';
  if (!open) return [];
  const out: SwapAction[] = [];
  if (swap.state === 'requested' && swap.toUserId === me) out.push('accept', 'decline');
  if (coordinator && swap.state === 'accepted' && swap.needsApproval) out.push('approve');
  if (coordinator) out.push('reject');
  if (swap.requestedBy === me || swap.fromUserId === me) out.push('cancel');
  return out;
}

/** The signed-in user as `/api/v1/me` returns them: permissions decide what the UI offers. */
export interface MePermissions {
  permissions?: readonly string[];
}

/** Whether the user holds a permission (from `/api/v1/me`; nothing when it is missing). */
export function can(me: MePermissions | null, permission: string): boolean {
  return !!me?.permissions?.includes(permission);
}

/** The editor's pattern form. */
export interface PatternForm {
  roleId: string;
  name: string;
  kind: 'cycle' | 'weekly';
  /** First day of the cycle (local date). */
  anchorDate: string;
  startTime: string;
  hours: number;
  /** `cycle`: the cycle length in days; the person works its first day («сутки через трое»: 4). */
  cycleDays: number;
  /** `weekly`: ISO weekdays (1 = Monday) the person works. */
  weekdays: number[];
  userId: string;
  /** Local dates to skip, separated by commas, spaces or new lines. */
  skip: string;
}

/** `YYYY-MM-DD` dates in a free text; anything else is reported back. */
export function parseDates(text: string): { dates: string[]; bad: string[] } {
  const dates: string[] = [];
  const bad: string[] = [];
  for (const part of text.split(/[\s,;]+/).filter(Boolean)) {
    const ok =
      /^\d{4}-\d{2}-\d{2}$/.test(part) &&
      new Date(`${part}T00:00:00Z`).toISOString().slice(0, 10) === part;
    (ok ? dates : bad).push(part);
  }
  return { dates: [...new Set(dates)].sort(), bad };
}

/** The `POST /api/v1/rosters/patterns` body of a form, or the problem with it. */
export function patternRequest(
  form: PatternForm,
): { ok: true; body: CreatePatternRequest } | { ok: false; problem: 'person' | 'weekdays' | 'dates' } {
  if (!form.userId) return { ok: false, problem: 'person' };
  const { dates, bad } = parseDates(form.skip);
  if (bad.length > 0) return { ok: false, problem: 'dates' };
  const base = {
    roleId: form.roleId,
    name: form.name,
    anchorDate: form.anchorDate,
    startTime: form.startTime,
    hours: form.hours,
    exceptions: dates.map((date) => ({ date, userId: null })),
  };
  if (form.kind === 'cycle') {
    const days = Math.max(1, Math.min(62, Math.round(form.cycleDays)));
    const cycle: (string | null)[] = [form.userId, ...Array<null>(days - 1).fill(null)];
    return { ok: true, body: { ...base, kind: 'cycle', cycle } };
  }
  const weekdays = [...new Set(form.weekdays)].filter((d) => d >= 1 && d <= 7).sort();
  if (weekdays.length === 0) return { ok: false, problem: 'weekdays' };
  return {
    ok: true,
    body: { ...base, kind: 'weekly', week: weekdays.map((weekday) => ({ weekday, userId: form.userId })) },
  };
}

/** The absolute URL of a calendar feed (`path` is relative to the hub and carries the token). */
export function calendarUrl(hubBase: string, path: string): string {
  return new URL(path, hubBase.endsWith('/') ? hubBase : `${hubBase}/`).toString();
}

/** Whose calendar link: the caller's own, a duty role's, or a colleague's (coordinators). */
export type CalendarSubject = 'me' | { roleId: string } | { userId: string };

/** The hub path that issues (POST), checks (GET, colleagues only) or revokes (DELETE) a link. */
export function calendarPath(subject: CalendarSubject): string {
  if (subject === 'me') return '/api/v1/rosters/me/calendar';
  if ('roleId' in subject) return `/api/v1/rosters/roles/${subject.roleId}/calendar`;
  return `/api/v1/rosters/people/${subject.userId}/calendar`;
}

/** What a profile card shows about presence: status, its end and delegate, and duties. */
export interface ProfilePresence {
  status: PresenceView['status'];
  /** The end of a manual status (the roster's own ends are the duties' ends). */
  until: string | null;
  delegateId: string | null;
  note: string | null;
  duties: { roleId: string; roleName: string; until: string }[];
}

export function profilePresence(p: PresenceView | undefined): ProfilePresence | null {
  if (!p) return null;
  return {
    status: p.status,
    until: p.source === 'manual' ? p.until : null,
    delegateId: p.source === 'manual' ? p.delegateId : null,
    note: p.source === 'manual' ? p.note : null,
    duties: [...p.duties].sort((a, b) => a.until.localeCompare(b.until)),
  };
}

/** Contacts worth showing on a profile, in a stable order, empty ones left out. */
export function profileContacts(u: {
  phone: string | null;
  extension: string | null;
  email: string | null;
}): { kind: 'phone' | 'extension' | 'email'; value: string; href: string | null }[] {
  const out: { kind: 'phone' | 'extension' | 'email'; value: string; href: string | null }[] = [];
  if (u.phone?.trim())
    out.push({ kind: 'phone', value: u.phone.trim(), href: `tel:${u.phone.replace(/[^\d+]/g, '')}` });
  if (u.extension?.trim()) out.push({ kind: 'extension', value: u.extension.trim(), href: null });
  if (u.email?.trim()) out.push({ kind: 'email', value: u.email.trim(), href: `mailto:${u.email.trim()}` });
  return out;
}
