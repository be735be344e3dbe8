import { createHash, randomBytes, randomUUID } from 'node:crypto';
import ical from 'ical-generator';
import { IsNull } from 'typeorm';
import { AppError, type CalendarLinkStatus, type CalendarTokenView } from '@konsilium/shared';
import { iso } from '../../platform/clock.js';
import type { CallContext } from '../../platform/http/actor.js';
import { RosterCalendarEntity, type RosterCalendarRow } from './rosters.entity.js';
import type { OnCallResolver } from './rosters.oncall.js';
import { audited, type RosterCtx } from './rosters.ports.js';
import type { RolesService } from './rosters.roles.js';
import type { ShiftsService } from './rosters.shifts.js';

const DAY = 86400_000;
/** A feed holds published shifts from a month ago to a year ahead. */
const PAST_DAYS = 31;
const FUTURE_DAYS = 366;

const hash = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * iCalendar feeds per role and per person, behind an unguessable token
 * (256 random bits; only its SHA-256 is stored). Issuing a new link revokes
 * the previous one; revoking leaves the feed unreachable.
 */
export class CalendarService {
  constructor(
    private readonly rc: RosterCtx,
    private readonly roles: RolesService,
    private readonly shifts: ShiftsService,
    private readonly oncall: OnCallResolver,
  ) {}

  async issue(
    ctx: CallContext,
    subjectKind: 'role' | 'user',
    subjectId: string,
  ): Promise<CalendarTokenView> {
    if (subjectKind === 'role') await this.roles.row(subjectId);
    const token = randomBytes(32).toString('base64url');
    const now = iso(this.rc.clock.now());
    const row: RosterCalendarRow = {
      id: randomUUID(),
      subjectKind,
      subjectId,
      tokenHash: hash(token),
      createdAt: now,
      revokedAt: null,
    };
    await this.rc.db.transaction(async (tx) => {
      await tx.update(
        RosterCalendarEntity,
        { subjectKind, subjectId, revokedAt: IsNull() },
        { revokedAt: now },
      );
      await tx.insert(RosterCalendarEntity, row);
      await audited(this.rc, tx, ctx, {
        action: 'rosters.calendar.issue',
        targetType: subjectKind === 'role' ? 'duty_role' : 'staff',
        targetId: subjectId,
      });
    });
    const path =
      subjectKind === 'role'
        ? `/api/v1/rosters/roles/${subjectId}/calendar.ics`
        : `/api/v1/rosters/people/${subjectId}/calendar.ics`;
    return { token, path: `${path}?token=${token}` };
  }

  async revoke(ctx: CallContext, subjectKind: 'role' | 'user', subjectId: string): Promise<void> {
    if (subjectKind === 'role') await this.roles.row(subjectId);
    const now = iso(this.rc.clock.now());
    await this.rc.db.transaction(async (tx) => {
      await tx.update(
        RosterCalendarEntity,
        { subjectKind, subjectId, revokedAt: IsNull() },
        { revokedAt: now },
      );
      await audited(this.rc, tx, ctx, {
        action: 'rosters.calendar.revoke',
        targetType: subjectKind === 'role' ? 'duty_role' : 'staff',
        targetId: subjectId,
      });
    });
  }

  /** Whether the subject has a live link, and since when. */
  async status(subjectKind: 'role' | 'user', subjectId: string): Promise<CalendarLinkStatus> {
    const row = await this.rc.db.manager.findOneBy(RosterCalendarEntity, {
      subjectKind,
      subjectId,
      revokedAt: IsNull(),
    });
    return { active: !!row, issuedAt: row?.createdAt ?? null };
  }

  /** The feed, if `token` is a live link to this subject. */
  async feed(subjectKind: 'role' | 'user', subjectId: string, token: string): Promise<string> {
    const row = await this.rc.db.manager.findOneBy(RosterCalendarEntity, {
      tokenHash: hash(token),
    });
    if (!row || row.revokedAt || row.subjectKind !== subjectKind || row.subjectId !== subjectId)
      throw new AppError('rosters.calendar_not_found');
    const now = this.rc.clock.now().getTime();
    const from = new Date(now - PAST_DAYS * DAY).toISOString();
    const to = new Date(now + FUTURE_DAYS * DAY).toISOString();
    const rows = await this.shifts.rows({
      ...(subjectKind === 'role' ? { roleIds: [subjectId] } : { userId: subjectId }),
      from,
      to,
      states: ['published'],
    });
    const roles = await this.roles.all();
    const names = await this.oncall.profiles([...new Set(rows.map((r) => r.userId))]);
    const title =
      subjectKind === 'role'
        ? (roles.get(subjectId)?.name ?? 'Дежурства')
        : `Дежурства: ${names.get(subjectId)?.fullName ?? ''}`.trim();
    const cal = ical({
      name: title,
      prodId: { company: 'Konsilium', product: 'rosters', language: 'RU' },
      ttl: 15 * 60,
    });
    for (const r of rows) {
      const role = roles.get(r.roleId);
      const person = names.get(r.userId)?.fullName ?? '';
      cal.createEvent({
        id: `${r.id}@konsilium`,
        start: new Date(r.startAt),
        end: new Date(r.endAt),
        stamp: new Date(r.updatedAt),
        summary: subjectKind === 'role' ? person : (role?.name ?? ''),
        description: [
          role?.name,
          person,
          r.source === 'takeover' ? 'Экстренная замена' : null,
          r.note,
        ]
          .filter(Boolean)
          .join('\n'),
        x: { 'X-KONSILIUM-ROLE': r.roleId, 'X-KONSILIUM-USER': r.userId },
      });
    }
    return cal.toString();
  }
}
