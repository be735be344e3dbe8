import { And, LessThan, MoreThanOrEqual } from 'typeorm';
import {
  ACCEPTING_RESPONSES,
  AppError,
  METRICS_MAX_DAYS,
  PRIORITIES,
  type AckResponse,
  type InterruptionRow,
  type LatencyStats,
  type MetricsQuery,
  type MetricsView,
  type Priority,
  type TimingGroup,
} from '@konsilium/shared';
import { iso, type Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import { NotifyInterruptionEntity } from './notifications.entity.js';
import type {
  NotifyDirectory,
  NotifyEscalationStats,
  NotifyMessaging,
  NotifyRosters,
} from './notifications.ports.js';

const DAY = 86_400_000;

/** Median (mean of the two middle values for an even count) and nearest-rank p90, in seconds. */
export function latency(ms: number[]): LatencyStats {
  if (ms.length === 0) return { count: 0, medianSeconds: null, p90Seconds: null };
  const s = [...ms].sort((a, b) => a - b);
  const mid = s.length / 2;
  const median = s.length % 2 ? s[Math.floor(mid)]! : (s[mid - 1]! + s[mid]!) / 2;
  const p90 = s[Math.ceil(0.9 * s.length) - 1]!;
  const sec = (v: number) => Math.round(v) / 1000;
  return { count: s.length, medianSeconds: sec(median), p90Seconds: sec(p90) };
}

interface Acc {
  messages: number;
  recipients: number;
  deliver: number[];
  read: number[];
  ack: number[];
}
const acc = (): Acc => ({ messages: 0, recipients: 0, deliver: [], read: [], ack: [] });

/**
 * Communication metrics (ADM-1): time to deliver, read and acknowledge per
 * priority, unit and duty role, volumes, interruptions per person and shift,
 * and escalation numbers when the escalation module is wired.
 */
export class MetricsService {
  private escalations: NotifyEscalationStats | null = null;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly messaging: NotifyMessaging,
    private readonly directory: NotifyDirectory,
    private readonly rosters: NotifyRosters,
  ) {}

  /** The hub wires the escalation module's numbers here when it has one. */
  useEscalations(stats: NotifyEscalationStats): void {
    this.escalations = stats;
  }

  async metrics(q: MetricsQuery): Promise<MetricsView> {
    const from = Date.parse(q.from);
    const to = Date.parse(q.to);
    if (!(from < to))
      throw new AppError('metrics.invalid_range', {
        field: 'to',
        message: 'Invalid query "to": must be after "from"',
        details: { in: 'query' },
      });
    if (to - from > METRICS_MAX_DAYS * DAY)
      throw new AppError('metrics.invalid_range', {
        field: 'to',
        message: `Invalid query "to": at most ${METRICS_MAX_DAYS} days after "from"`,
        details: { in: 'query' },
      });
    const units = await this.directory.units();
    const unitName = new Map(units.map((u) => [u.id, u.name]));
    let scope: Set<string> | null = null;
    if (q.unitId) {
      if (!unitName.has(q.unitId))
        throw new AppError('directory.unit_not_found', {
          field: 'unitId',
          details: { in: 'query' },
        });
      scope = subtree(units, q.unitId);
    }
    const fromIso = iso(new Date(from));
    const toIso = iso(new Date(to));
    const data = await this.messaging.window(fromIso, toIso);
    const people = new Map<string, { fullName: string; unitIds: string[] } | null>();
    const person = async (id: string) => {
      if (!people.has(id)) people.set(id, await this.directory.person(id));
      return people.get(id) ?? null;
    };
    const roleNames = await this.rosters.roleNames();
    const byPriority = new Map<string, Acc>(PRIORITIES.map((p) => [p, acc()]));
    const byUnit = new Map<string | null, Acc>();
    const byRole = new Map<string | null, Acc>();
    const volumes = {
      total: 0,
      orders: 0,
      byPriority: Object.fromEntries(PRIORITIES.map((p) => [p, 0])) as Record<Priority, number>,
    };
    for (const m of data.messages) {
      const unitId = m.unitId ?? (await person(m.authorId))?.unitIds[0] ?? null;
      if (scope && !(unitId && scope.has(unitId))) continue;
      volumes.total++;
      if (m.kind === 'order') volumes.orders++;
      if (m.priority in volumes.byPriority) volumes.byPriority[m.priority as Priority]++;
      const groups = [
        byPriority.get(m.priority) ?? acc(),
        get(byUnit, unitId),
        get(byRole, m.roleId),
      ];
      const created = Date.parse(m.createdAt);
      const firstAck = m.acks
        .filter(
          (a) => a.userId !== m.authorId && ACCEPTING_RESPONSES.includes(a.response as AckResponse),
        )
        .map((a) => Date.parse(a.at))
        .sort((a, b) => a - b)[0];
      for (const g of groups) {
        g.messages++;
        g.recipients += m.recipients.length;
        if (firstAck !== undefined) g.ack.push(Math.max(0, firstAck - created));
        for (const r of m.recipients) {
          if (r.deliveredAt) g.deliver.push(Math.max(0, Date.parse(r.deliveredAt) - created));
          if (r.readAt) g.read.push(Math.max(0, Date.parse(r.readAt) - created));
        }
      }
    }
    const group = (key: string | null, label: string, a: Acc): TimingGroup => ({
      key,
      label,
      messages: a.messages,
      recipients: a.recipients,
      deliver: latency(a.deliver),
      read: latency(a.read),
      ack: latency(a.ack),
    });
    const sortKey = (a: TimingGroup, b: TimingGroup) =>
      (a.label || '\uffff').localeCompare(b.label || '\uffff') ||
      String(a.key).localeCompare(String(b.key));
    return {
      from: fromIso,
      to: toIso,
      unitId: q.unitId ?? null,
      generatedAt: iso(this.clock.now()),
      volumes,
      byPriority: PRIORITIES.map((p) => group(p, p, byPriority.get(p)!)),
      byUnit: [...byUnit]
        .map(([k, a]) => group(k, k ? (unitName.get(k) ?? '') : '', a))
        .sort(sortKey),
      byRole: [...byRole]
        .map(([k, a]) => group(k, k ? (roleNames.get(k) ?? '') : '', a))
        .sort(sortKey),
      interruptions: await this.interruptions(fromIso, toIso, scope, person),
      escalations: this.escalations
        ? {
            available: true,
            ...(await this.escalations.summary({
              from: fromIso,
              to: toIso,
              unitIds: scope ? [...scope] : null,
            })),
          }
        : {
            available: false,
            started: 0,
            acknowledged: 0,
            open: 0,
            cancelled: 0,
            acknowledgedAtStep: [],
          },
    };
  }

  private async interruptions(
    from: string,
    to: string,
    scope: Set<string> | null,
    person: (id: string) => Promise<{ fullName: string; unitIds: string[] } | null>,
  ): Promise<InterruptionRow[]> {
    const rows = await this.db.manager.find(NotifyInterruptionEntity, {
      where: { at: And(MoreThanOrEqual(from), LessThan(to)) },
    });
    const out = new Map<string, InterruptionRow>();
    for (const r of rows) {
      const p = await person(r.userId);
      if (scope && !p?.unitIds.some((u) => scope.has(u))) continue;
      const k = `${r.userId} ${r.shiftKey}`;
      let row = out.get(k);
      if (!row) {
        row = {
          userId: r.userId,
          fullName: p?.fullName ?? '',
          shiftKey: r.shiftKey,
          shiftStart: r.shiftStart,
          shiftEnd: r.shiftEnd,
          count: 0,
          breakThroughs: 0,
        };
        out.set(k, row);
      }
      row.count++;
      if (r.breakThrough) row.breakThroughs++;
    }
    return [...out.values()].sort(
      (a, b) =>
        b.count - a.count ||
        a.fullName.localeCompare(b.fullName) ||
        a.shiftStart.localeCompare(b.shiftStart),
    );
  }
}

function get<K>(m: Map<K, Acc>, k: K): Acc {
  let a = m.get(k);
  if (!a) m.set(k, (a = acc()));
  return a;
}

function subtree(units: { id: string; parentId: string | null }[], root: string): Set<string> {
  const out = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const u of units)
      if (u.parentId && out.has(u.parentId) && !out.has(u.id)) {
        out.add(u.id);
        grew = true;
      }
  }
  return out;
}
