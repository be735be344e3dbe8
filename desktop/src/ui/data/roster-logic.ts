/**
 * Pure roster helpers for the screens: local dates and clock times in a unit's
 * IANA time zone (with `Intl`, no library), the week shown by the editor, the
 * shift presets and the coverage marks of a day.
 */
import type { CoverageReport, ShiftView } from '@konsilium/shared';

export type ShiftPreset = 'day' | 'night' | 'day24';

/** Start time and length of each preset: day 08:00–20:00, night 20:00–08:00, «сутки» 08:00–08:00. */
export const PRESETS: Record<ShiftPreset, { start: string; hours: number }> = {
  day: { start: '08:00', hours: 12 },
  night: { start: '20:00', hours: 12 },
  day24: { start: '08:00', hours: 24 },
};

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsIn(instant: number, zone: string): Parts {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    });
    formatters.set(zone, f);
  }
  const get = (type: string) => f.formatToParts(instant).find((p) => p.type === type)?.value ?? '';
  const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  return {
    year: Number(get('year')),
    month: Number(get('month')),
    day: Number(get('day')),
    hour: Number(get('hour')),
    minute: Number(get('minute')),
    weekday: days.indexOf(get('weekday')) + 1,
  };
}

/** The zone's offset from UTC at an instant, in minutes. */
function offsetAt(instant: number, zone: string): number {
  const p = partsIn(instant, zone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
  return Math.round((asUtc - Math.floor(instant / 60_000) * 60_000) / 60_000);
}

/** The instant of local date `YYYY-MM-DD` and time `HH:mm` in `zone`. */
export function zonedInstant(date: string, time: string, zone: string): Date {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi] = time.split(':').map(Number) as [number, number];
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  let instant = guess - offsetAt(guess, zone) * 60_000;
  // A second pass settles instants next to an offset change.
  instant = guess - offsetAt(instant, zone) * 60_000;
  return new Date(instant);
}

/** The local date `YYYY-MM-DD` of an instant in `zone`. */
export function localDate(instant: Date | string, zone: string): string {
  const p = partsIn(new Date(instant).getTime(), zone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** The local clock time `HH:mm` of an instant in `zone`. */
export function localTime(instant: Date | string, zone: string): string {
  const p = partsIn(new Date(instant).getTime(), zone);
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
}

/** `date` plus `n` days (calendar arithmetic on `YYYY-MM-DD`). */
export function addDays(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** The Monday of the week holding local date `date`. */
export function weekStart(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const weekday = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7; // Monday = 0
  return addDays(date, -weekday);
}

/** The seven local dates of the week from `monday`. */
export function weekDates(monday: string): string[] {
  return Array.from({ length: 7 }, (_, i) => addDays(monday, i));
}

/** Every local date of the month holding `date`. */
export function monthDates(date: string): string[] {
  const first = `${date.slice(0, 8)}01`;
  const out: string[] = [];
  for (let d = first; d.slice(0, 7) === first.slice(0, 7); d = addDays(d, 1)) out.push(d);
  return out;
}

/** The first day of the month `n` months after the one holding `date`. */
export function addMonths(date: string, n: number): string {
  const [y, m] = date.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 + n, 1)).toISOString().slice(0, 10);
}

/** Start and end (ISO, UTC) of a preset shift on local date `date` in `zone`. */
export function presetTimes(
  preset: ShiftPreset,
  date: string,
  zone: string,
): { start: string; end: string } {
  const p = PRESETS[preset];
  const start = zonedInstant(date, p.start, zone);
  const endDate = addDays(date, Math.floor((Number(p.start.slice(0, 2)) + p.hours) / 24));
  const endTime = `${String((Number(p.start.slice(0, 2)) + p.hours) % 24).padStart(2, '0')}:${p.start.slice(3)}`;
  const end = zonedInstant(endDate, endTime, zone);
  return { start: start.toISOString(), end: end.toISOString() };
}

/** The shifts of a role starting on local date `date`, by start. */
export function shiftsOn(
  shifts: readonly ShiftView[],
  roleId: string,
  date: string,
  zone: string,
): ShiftView[] {
  return shifts
    .filter((s) => s.roleId === roleId && s.state !== 'cancelled')
    .filter((s) => localDate(s.start, zone) === date)
    .sort((a, b) => a.start.localeCompare(b.start));
}

/** Whether the role has an uncovered interval overlapping local date `date`. */
export function gapOn(
  report: CoverageReport | null,
  roleId: string,
  date: string,
  zone: string,
): boolean {
  if (!report) return false;
  const from = zonedInstant(date, '00:00', zone).getTime();
  const to = zonedInstant(addDays(date, 1), '00:00', zone).getTime();
  return report.gaps.some(
    (g) => g.roleId === roleId && Date.parse(g.start) < to && Date.parse(g.end) > from,
  );
}

/** The ids of shifts in a double booking or a too-short rest. */
export function conflictedShifts(report: CoverageReport | null): Set<string> {
  const ids = new Set<string>();
  if (!report) return ids;
  for (const d of report.doubleBookings) for (const id of d.shiftIds) ids.add(id);
  for (const r of report.restViolations) {
    ids.add(r.previousShiftId);
    ids.add(r.nextShiftId);
  }
  return ids;
}

/** «Петров Иван Сергеевич» → «Петров И. С.». */
export function shortName(fullName: string): string {
  const [last, ...rest] = fullName.trim().split(/\s+/);
  if (!last) return '';
  return [last, ...rest.map((p) => `${p[0]}.`)].join(' ');
}
