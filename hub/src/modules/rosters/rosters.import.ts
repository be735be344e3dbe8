import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import ical from 'node-ical';
import { AppError, type RosterImportQuery, type RosterImportReport } from '@konsilium/shared';
import { iso } from '../../platform/clock.js';
import type { CallContext } from '../../platform/http/actor.js';
import { DutyShiftEntity, type DutyShiftRow } from './rosters.entity.js';
import { MAX_SHIFT_MS } from './rosters.index.js';
import { audited, type RosterCtx } from './rosters.ports.js';
import type { ShiftsService } from './rosters.shifts.js';
import { shiftView } from './rosters.views.js';

type Planned = RosterImportReport['shifts'][number];
type Problem = RosterImportReport['problems'][number];

/** Bytes → text: UTF-8 only (with or without a BOM). */
function decode(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new AppError('rosters.import_unreadable', { message: 'The file is not UTF-8 text' });
  }
}

/** Splits one CSV line (`,` or `;`, double quotes with "" escapes). */
export function splitCsvLine(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

/** A time with an offset, or a local `YYYY-MM-DD HH:mm` in `zone`; null when neither. */
export function parseTime(text: string, zone: string): number | null {
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const t = Date.parse(text);
    return Number.isNaN(t) ? null : t;
  }
  const local = DateTime.fromFormat(text, 'yyyy-MM-dd HH:mm', { zone });
  return local.isValid ? local.toMillis() : null;
}

interface VEventSpan {
  line: number;
  uid: string | null;
  recurrenceId: string | null;
}

/** Where each VEVENT begins (1-based physical line), with its UID and RECURRENCE-ID. */
function scanEvents(text: string): VEventSpan[] {
  const lines = text.split(/\r?\n/);
  const out: VEventSpan[] = [];
  let cur: VEventSpan | null = null;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (/^BEGIN:VEVENT\s*$/i.test(raw)) cur = { line: i + 1, uid: null, recurrenceId: null };
    else if (/^END:VEVENT\s*$/i.test(raw) && cur) {
      out.push(cur);
      cur = null;
    } else if (cur) {
      const m = /^(UID|RECURRENCE-ID)[;:](.*)$/i.exec(raw);
      if (m) {
        if (m[1]!.toUpperCase() === 'UID') cur.uid = m[2]!.trim();
        else cur.recurrenceId = m[2]!.replace(/^.*:/, '').trim();
      }
    }
  }
  return out;
}

const valueOf = (v: unknown): string =>
  typeof v === 'string' ? v : v && typeof v === 'object' && 'val' in v ? String(v.val) : '';

/**
 * Roster import from CSV (`login;start;end[;note]`) or iCalendar (each VEVENT
 * names its person by ATTENDEE e-mail/login or by a SUMMARY that is a login;
 * RRULE, EXDATE, TZID and RECURRENCE-ID overrides are expanded over the
 * period). Every bad line is reported; a file with any problem imports
 * nothing; a dry run only reports.
 */
export class ImportService {
  constructor(
    private readonly rc: RosterCtx,
    private readonly shifts: ShiftsService,
  ) {}

  private async person(key: string, cache: Map<string, string | null>): Promise<string | null> {
    const k = key.trim().toLowerCase();
    if (!k) return null;
    if (!cache.has(k)) {
      let id = await this.rc.people.findByLogin(k);
      if (!id && k.includes('@')) id = await this.rc.people.findByLogin(k.split('@')[0]!);
      cache.set(k, id);
    }
    return cache.get(k) ?? null;
  }

  private async csv(
    text: string,
    zone: string,
  ): Promise<{ shifts: Planned[]; problems: Problem[] }> {
    const lines = text.split(/\r?\n/);
    const header = lines[0] ?? '';
    const sep = header.includes(';') ? ';' : ',';
    const cols = splitCsvLine(header, sep).map((c) => c.toLowerCase());
    const at = (name: string) => cols.indexOf(name);
    if (at('login') < 0 || at('start') < 0 || at('end') < 0)
      throw new AppError('rosters.import_unreadable', {
        message: 'The first line must be a header with login, start and end columns',
      });
    const shifts: Planned[] = [];
    const problems: Problem[] = [];
    const cache = new Map<string, string | null>();
    for (let i = 1; i < lines.length; i++) {
      const line = i + 1;
      if (!lines[i]!.trim()) continue;
      const cells = splitCsvLine(lines[i]!, sep);
      if (cells.length !== cols.length) {
        problems.push({ line, message: `expected ${cols.length} columns, found ${cells.length}` });
        continue;
      }
      const login = cells[at('login')]!;
      const userId = await this.person(login, cache);
      const start = parseTime(cells[at('start')]!, zone);
      const end = parseTime(cells[at('end')]!, zone);
      const bad: string[] = [];
      if (!userId) bad.push(`unknown or inactive person "${login.slice(0, 64)}"`);
      if (start === null)
        bad.push('start is not a time (ISO 8601 with offset or YYYY-MM-DD HH:mm)');
      if (end === null) bad.push('end is not a time (ISO 8601 with offset or YYYY-MM-DD HH:mm)');
      if (start !== null && end !== null) {
        if (end <= start) bad.push('end is not after start');
        else if (end - start > MAX_SHIFT_MS) bad.push('a shift lasts at most 72 hours');
      }
      if (bad.length) {
        problems.push({ line, message: bad.join('; ') });
        continue;
      }
      shifts.push({
        userId: userId!,
        start: new Date(start!).toISOString(),
        end: new Date(end!).toISOString(),
        line,
      });
    }
    return { shifts, problems };
  }

  private async ics(
    text: string,
    from: Date,
    to: Date,
  ): Promise<{ shifts: Planned[]; problems: Problem[] }> {
    if (!/^BEGIN:VCALENDAR\s*$/im.test(text) || !/^END:VCALENDAR\s*$/im.test(text))
      throw new AppError('rosters.import_unreadable', { message: 'No VCALENDAR in the file' });
    let parsed: ical.CalendarResponse;
    try {
      parsed = ical.sync.parseICS(text);
    } catch (err) {
      throw new AppError('rosters.import_unreadable', {
        message: 'The calendar cannot be parsed',
        cause: err,
      });
    }
    const spans = scanEvents(text);
    const lineOf = (uid: string, recurrence?: ical.DateWithTimeZone): number => {
      const same = spans.filter((s) => s.uid === uid);
      if (recurrence) {
        // RECURRENCE-ID is written in the event's zone (or UTC with Z): compare its date.
        const zoned = DateTime.fromJSDate(recurrence, { zone: recurrence.tz ?? 'UTC' });
        const day = (
          zoned.isValid ? zoned : DateTime.fromJSDate(recurrence, { zone: 'UTC' })
        ).toFormat('yyyyMMdd');
        const hit = same.find((s) => s.recurrenceId?.startsWith(day));
        if (hit) return hit.line;
      }
      return (same.find((s) => !s.recurrenceId) ?? same[0])?.line ?? 0;
    };
    const shifts: Planned[] = [];
    const problems: Problem[] = [];
    const cache = new Map<string, string | null>();
    // Events without a UID cannot be told apart; report them by position.
    for (const s of spans)
      if (!s.uid) problems.push({ line: s.line, message: 'the event has no UID' });
    for (const c of Object.values(parsed)) {
      if (!c || typeof c !== 'object' || (c as { type?: string }).type !== 'VEVENT') continue;
      const ev = c as ical.VEvent;
      const line = lineOf(ev.uid);
      if (ev.status === 'CANCELLED') continue;
      const attendees = ev.attendee
        ? Array.isArray(ev.attendee)
          ? ev.attendee
          : [ev.attendee]
        : [];
      const key = attendees.length
        ? valueOf(attendees[0]).replace(/^mailto:/i, '')
        : valueOf(ev.summary);
      const userId = await this.person(key, cache);
      if (!userId) {
        problems.push({ line, message: `unknown or inactive person "${key.slice(0, 64)}"` });
        continue;
      }
      if (ev.datetype === 'date') {
        problems.push({ line, message: 'a whole-day event: a shift needs a start and end time' });
        continue;
      }
      if (!(ev.start instanceof Date) || Number.isNaN(ev.start.getTime())) {
        problems.push({ line, message: 'DTSTART is not a valid time' });
        continue;
      }
      if (!ev.end && !ev.duration) {
        problems.push({ line, message: 'the event has no DTEND or DURATION' });
        continue;
      }
      let instances: ical.EventInstance[];
      try {
        instances = ical.expandRecurringEvent(ev, { from, to, expandOngoing: true });
      } catch (err) {
        problems.push({
          line,
          message: `the recurrence cannot be expanded (${(err as Error).message.slice(0, 100)})`,
        });
        continue;
      }
      for (const inst of instances) {
        const instLine = inst.isOverride ? lineOf(ev.uid, inst.event.recurrenceid) : line;
        const start = inst.start.getTime();
        const end = inst.end.getTime();
        if (inst.event.status === 'CANCELLED') continue;
        if (Number.isNaN(start) || Number.isNaN(end) || end <= start) {
          problems.push({ line: instLine, message: 'the event ends before it starts' });
          continue;
        }
        if (end - start > MAX_SHIFT_MS) {
          problems.push({ line: instLine, message: 'a shift lasts at most 72 hours' });
          continue;
        }
        let who = userId;
        if (inst.isOverride && inst.event.attendee) {
          const a = Array.isArray(inst.event.attendee)
            ? inst.event.attendee[0]
            : inst.event.attendee;
          const other = await this.person(valueOf(a).replace(/^mailto:/i, ''), cache);
          if (!other) {
            problems.push({
              line: instLine,
              message: 'unknown or inactive person in the override',
            });
            continue;
          }
          who = other;
        }
        shifts.push({
          userId: who,
          start: new Date(start).toISOString(),
          end: new Date(end).toISOString(),
          line: instLine,
        });
      }
    }
    shifts.sort((a, b) => a.start.localeCompare(b.start) || a.line - b.line);
    problems.sort((a, b) => a.line - b.line);
    return { shifts, problems };
  }

  async run(
    ctx: CallContext,
    roleId: string,
    bytes: Buffer,
    q: RosterImportQuery,
  ): Promise<RosterImportReport> {
    const role = await this.shifts.activeRole(roleId, 'id');
    if (bytes.length === 0)
      throw new AppError('rosters.import_unreadable', { message: 'The file is empty' });
    const text = decode(bytes);
    const now = this.rc.clock.now();
    const from = q.from ? new Date(q.from) : now;
    const to = q.to ? new Date(q.to) : new Date(now.getTime() + 90 * 86400_000);
    if (to <= from || to.getTime() - from.getTime() > 400 * 86400_000)
      throw new AppError('validation.invalid', {
        field: 'to',
        message: 'Invalid query field "to": after from, at most 400 days later',
        details: { in: 'query' },
      });
    const { shifts, problems } =
      q.format === 'csv' ? await this.csv(text, role.timeZone) : await this.ics(text, from, to);
    const report: RosterImportReport = { dryRun: q.dryRun, shifts, created: 0, problems };
    if (q.dryRun) return report;
    if (problems.length > 0)
      throw new AppError('rosters.import_invalid', { details: { problems } });
    const stamp = iso(now);
    const rows: DutyShiftRow[] = shifts.map((s) => ({
      id: randomUUID(),
      roleId: role.id,
      userId: s.userId,
      plannedUserId: s.userId,
      startAt: s.start,
      endAt: s.end,
      state: q.draft ? 'draft' : 'published',
      source: 'import',
      patternId: null,
      patternDate: null,
      swapId: null,
      note: null,
      createdAt: stamp,
      updatedAt: stamp,
    }));
    await this.rc.db.transaction(async (tx) => {
      for (let i = 0; i < rows.length; i += 100)
        await tx.insert(DutyShiftEntity, rows.slice(i, i + 100));
      await audited(this.rc, tx, ctx, {
        action: 'rosters.import',
        targetType: 'duty_role',
        targetId: role.id,
        details: { format: q.format, shifts: rows.length, draft: q.draft },
      });
    });
    if (!q.draft)
      this.shifts.published(
        role.id,
        rows.map((r) => shiftView(r, role.timeZone)),
      );
    return { ...report, created: rows.length };
  }
}
