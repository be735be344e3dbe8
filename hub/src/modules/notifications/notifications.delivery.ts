import { randomUUID } from 'node:crypto';
import { In, type EntityManager } from 'typeorm';
import { z } from 'zod';
import type { NotifyDigestEvent, NotifyPushEvent, Priority, PushReason } from '@konsilium/shared';
import { iso, type Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/log/logger.js';
import type { DurableTimers } from '../../platform/timers/index.js';
import {
  NotifyInterruptionEntity,
  NotifyPendingEntity,
  type NotifyInterruptionRow,
  type NotifyPendingRow,
} from './notifications.entity.js';
import type { Applied, PolicyService } from './notifications.policy.js';
import { insertMany } from '../../platform/db/insert-many.js';
import type { NotifyMessaging, NotifyRosters } from './notifications.ports.js';

export const RELEASE_TIMER = 'notifications.release';
export const DIGEST_TIMER = 'notifications.digest';
const UserPayload = z.object({ userId: z.string().min(1).max(36) }).strict();

/** What happens to one message for one recipient. */
export type Decision =
  | {
      action: 'push';
      reason: PushReason;
      sound: boolean;
      repeatUntilAck: boolean;
      breakThrough: boolean;
    }
  | {
      action: 'hold';
      sound: boolean;
      repeatUntilAck: boolean;
      until: string | null;
      maxHoldSeconds: number;
    }
  | { action: 'digest'; intervalSeconds: number }
  | { action: 'feed'; why: 'policy' | 'off_duty' };

interface Shift {
  key: string;
  start: string;
  end: string | null;
}

/** How long a person's policy, presence and shift are reused between sends (injected clock). */
const INPUT_TTL_MS = 30_000;
const INPUT_CACHE_MAX = 50_000;

interface Inputs {
  applied: Applied;
  presence: { status: string; until: string | null };
  shift: Shift;
  at: number;
}

function interruption(
  shift: Shift,
  userId: string,
  at: Date,
  priority: string,
  kind: 'push' | 'digest',
  breakThrough: boolean,
  messageId: string | null,
): NotifyInterruptionRow {
  return {
    id: randomUUID(),
    userId,
    shiftKey: shift.key,
    shiftStart: shift.start,
    shiftEnd: shift.end,
    at: iso(at),
    priority,
    kind,
    breakThrough,
    messageId,
  };
}

interface UserEvent {
  userId: string;
  event: string;
  data: unknown;
}

interface Sent {
  messageId: string;
  conversationId: string;
  priority: Priority;
  recipientIds: string[];
  at: string;
}

/**
 * The per-recipient half of delivery (ESC-3, ESC-4; ADR 0023). A message is
 * stored once and fans out through the stream; here each recipient's policy
 * and presence decide whether it also raises an OS notification now
 * (`notify.push`), waits for do-not-disturb to end (a durable timer bounded by
 * the maximum hold), joins a digest (`notify.digest`) or stays in the feed.
 * The events go out as per-user stream events through messaging. A held push
 * or digest item whose message the person has read or acknowledged meanwhile
 * is dropped when it would go out: it is not sent and not an interruption.
 */
export class Delivery {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly off: (() => void)[] = [];

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly bus: EventBus,
    private readonly timers: DurableTimers,
    private readonly policy: PolicyService,
    private readonly rosters: NotifyRosters,
    private readonly messaging: Pick<NotifyMessaging, 'readBy'>,
    private readonly log: Logger,
  ) {
    timers.register(RELEASE_TIMER, UserPayload, (p, tx) => this.onRelease(p.userId, tx));
    timers.register(DIGEST_TIMER, UserPayload, (p, tx) => this.onDigest(p.userId, tx));
  }

  subscribe(): void {
    this.off.push(
      this.bus.on('messaging.sent', (e) => {
        if (e.recipientIds.length === 0) return;
        this.incoming.push(e);
        this.track(this.serial(() => this.drainSent()));
      }),
      this.bus.on('rosters.presence_changed', (e) => {
        this.forget(e.userId);
        if (e.status !== 'dnd') this.track(this.serial(() => this.release(e.userId)));
      }),
      this.bus.on('rosters.changed', () => this.forget(null)),
      this.bus.on('rosters.shift_changed', () => this.forget(null)),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.off.splice(0)) off();
    await this.settled();
  }

  /** Settles when everything received so far is decided and written (tests wait on it). */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  /** One decision batch at a time: pushes keep the order of sends and the pool stays free. */
  private queue: Promise<void> = Promise.resolve();
  private serial(work: () => Promise<void>): Promise<void> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private track(p: Promise<void>): void {
    const run = p.catch((err: unknown) => this.log.error({ err }, 'notification not delivered'));
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  /** The decision for one recipient now (exported for the README's table and tests). */
  async decide(userId: string, priority: Priority): Promise<Decision> {
    const { applied, presence } = await this.inputsOf(userId);
    const rule = applied.effective[priority];
    const dnd = presence.status === 'dnd';
    const offDuty = presence.status === 'off_duty';
    if (priority === 'critical' && !(offDuty && !rule.offDuty)) {
      return {
        action: 'push',
        reason: dnd || offDuty ? 'break_through' : 'policy',
        sound: rule.sound,
        repeatUntilAck: rule.repeatUntilAck,
        breakThrough: dnd || offDuty,
      };
    }
    if (offDuty && !rule.offDuty) return { action: 'feed', why: 'off_duty' };
    if (rule.mode === 'feed') return { action: 'feed', why: 'policy' };
    if (rule.mode === 'digest')
      return { action: 'digest', intervalSeconds: applied.digestIntervalSeconds };
    if (dnd)
      return {
        action: 'hold',
        sound: rule.sound,
        repeatUntilAck: rule.repeatUntilAck,
        until: presence.until,
        maxHoldSeconds: applied.dndMaxHoldSeconds,
      };
    return {
      action: 'push',
      reason: offDuty ? 'off_duty_allowed' : 'policy',
      sound: rule.sound,
      repeatUntilAck: rule.repeatUntilAck,
      breakThrough: false,
    };
  }

  /** Sends announced since the last drain (decided together, written in one transaction). */
  private readonly incoming: Sent[] = [];
  /** Policy, presence and shift per person, for {@link INPUT_TTL_MS} (see {@link forget}). */
  private readonly inputs = new Map<string, Inputs>();

  /** Drops cached inputs of one person, or of everyone (`null`). */
  forget(userId: string | null): void {
    if (userId === null) this.inputs.clear();
    else this.inputs.delete(userId);
  }

  private async inputsOf(userId: string): Promise<Inputs> {
    const now = this.clock.now();
    const t = now.getTime();
    const c = this.inputs.get(userId);
    if (
      c &&
      t - c.at < INPUT_TTL_MS &&
      t >= c.at &&
      (!c.presence.until || t < Date.parse(c.presence.until)) &&
      (c.shift.end ? t < Date.parse(c.shift.end) : iso(now).startsWith(c.shift.start.slice(0, 10)))
    )
      return c;
    const fresh: Inputs = {
      applied: await this.policy.applied(userId),
      presence: await this.rosters.presence(userId),
      shift: await this.shiftFor(userId, now),
      at: t,
    };
    if (this.inputs.size >= INPUT_CACHE_MAX) this.inputs.clear();
    this.inputs.set(userId, fresh);
    return fresh;
  }

  private async drainSent(): Promise<void> {
    const batch = this.incoming.splice(0);
    if (batch.length === 0) return;
    const now = this.clock.now();
    const work: { e: Sent; userId: string; d: Decision; shift: Shift }[] = [];
    // Every read happens before the transaction: no pool connection is held while waiting for another.
    for (const e of batch)
      for (const u of new Set(e.recipientIds)) {
        const d = await this.decide(u, e.priority);
        if (d.action !== 'feed')
          work.push({ e, userId: u, d, shift: (await this.inputsOf(u)).shift });
      }
    if (work.length === 0) return;
    const events: UserEvent[] = [];
    const counted: NotifyInterruptionRow[] = [];
    await this.db.transaction(async (tx) => {
      for (const { e, userId, d, shift } of work) {
        // Holds and digests count from when the message was sent, not from when it was decided.
        const sentAt = Date.parse(e.at);
        if (d.action === 'push') {
          const data: NotifyPushEvent = {
            messageId: e.messageId,
            conversationId: e.conversationId,
            priority: e.priority,
            sound: d.sound,
            repeatUntilAck: d.repeatUntilAck,
            reason: d.reason,
          };
          events.push({ userId, event: 'notify.push', data });
          counted.push(
            interruption(shift, userId, now, e.priority, 'push', d.breakThrough, e.messageId),
          );
        } else if (d.action === 'hold') {
          const first = await this.addPending(tx, userId, e, 'hold', d.sound, d.repeatUntilAck);
          if (first) {
            const cap = sentAt + d.maxHoldSeconds * 1000;
            const until = d.until ? Date.parse(d.until) : cap;
            await this.wake(tx, RELEASE_TIMER, userId, Math.min(cap, until));
          }
        } else if (d.action === 'digest') {
          const first = await this.addPending(tx, userId, e, 'digest', false, false);
          if (first) await this.wake(tx, DIGEST_TIMER, userId, sentAt + d.intervalSeconds * 1000);
        }
      }
      await insertMany(tx, NotifyInterruptionEntity, counted);
    });
    this.publish(events);
  }

  /** Stores a waiting push; true when it is the person's first of that kind (a timer is needed). */
  private async addPending(
    tx: EntityManager,
    userId: string,
    e: Sent,
    reason: 'hold' | 'digest',
    sound: boolean,
    repeatUntilAck: boolean,
  ): Promise<boolean> {
    const before = await tx.countBy(NotifyPendingEntity, { userId, reason });
    await tx.delete(NotifyPendingEntity, { userId, messageId: e.messageId });
    await tx.insert(NotifyPendingEntity, {
      userId,
      messageId: e.messageId,
      conversationId: e.conversationId,
      priority: e.priority,
      reason,
      sound,
      repeatUntilAck,
      createdAt: iso(new Date(e.at)),
    });
    return before === 0;
  }

  /** The person is available again: every held push goes out now (unless read meanwhile). */
  private async release(userId: string): Promise<void> {
    const shift = await this.shiftFor(userId, this.clock.now());
    // Read state is asked before the transaction (no pool connection held while waiting).
    const before = await this.db.manager.findBy(NotifyPendingEntity, { userId, reason: 'hold' });
    const seen = await this.readAmong(userId, before);
    const events = await this.db.transaction(async (tx) => {
      await this.timers.cancel(tx, { kind: RELEASE_TIMER, key: userId });
      const held = await tx.findBy(NotifyPendingEntity, { userId, reason: 'hold' });
      return this.pushHeld(tx, shift, userId, held, 'dnd_ended', seen);
    });
    this.publish(events);
  }

  /**
   * The waiting messages the person has read or acknowledged already. When
   * messaging cannot say, none: a push too many is safer than one missing.
   */
  private async readAmong(userId: string, rows: NotifyPendingRow[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    try {
      return await this.messaging.readBy(
        userId,
        rows.map((r) => r.messageId),
      );
    } catch (err) {
      this.log.warn({ err, userId }, 'read state unknown: waiting pushes go out');
      return new Set();
    }
  }

  /** The hold timer: do-not-disturb ended, or the oldest hold reached the maximum. */
  private async onRelease(userId: string, tx: EntityManager): Promise<void> {
    const held = await tx.findBy(NotifyPendingEntity, { userId, reason: 'hold' });
    if (held.length === 0) return;
    const now = this.clock.now().getTime();
    const presence = await this.rosters.presence(userId);
    const shift = await this.shiftFor(userId, this.clock.now());
    const events: UserEvent[] = [];
    if (presence.status !== 'dnd') {
      const seen = await this.readAmong(userId, held);
      events.push(...(await this.pushHeld(tx, shift, userId, held, 'dnd_ended', seen)));
    } else {
      const maxMs = (await this.policy.applied(userId)).dndMaxHoldSeconds * 1000;
      const due = held.filter((h) => Date.parse(h.createdAt) + maxMs <= now);
      const rest = held.filter((h) => Date.parse(h.createdAt) + maxMs > now);
      const seen = await this.readAmong(userId, due);
      events.push(...(await this.pushHeld(tx, shift, userId, due, 'max_hold', seen)));
      if (rest.length > 0) {
        const oldest = Math.min(...rest.map((h) => Date.parse(h.createdAt)));
        const until = presence.until ? Date.parse(presence.until) : Infinity;
        await this.wake(tx, RELEASE_TIMER, userId, Math.max(now, Math.min(oldest + maxMs, until)));
      }
    }
    // Handed to the stream after the handler's writes; the stream writes them in its own transaction.
    this.publish(events);
  }

  private async pushHeld(
    tx: EntityManager,
    shift: Shift,
    userId: string,
    held: NotifyPendingRow[],
    reason: PushReason,
    /** Messages read or acknowledged meanwhile: dropped, not pushed, not counted. */
    seen: ReadonlySet<string>,
  ): Promise<UserEvent[]> {
    const now = this.clock.now();
    const events: UserEvent[] = [];
    let dropped = 0;
    for (const h of held.sort((a, b) => a.createdAt.localeCompare(b.createdAt))) {
      const res = await tx.delete(NotifyPendingEntity, { userId, messageId: h.messageId });
      if (!res.affected) continue;
      if (seen.has(h.messageId)) {
        dropped++;
        continue;
      }
      const data: NotifyPushEvent = {
        messageId: h.messageId,
        conversationId: h.conversationId,
        priority: h.priority as Priority,
        sound: h.sound,
        repeatUntilAck: h.repeatUntilAck,
        reason,
      };
      events.push({ userId, event: 'notify.push', data });
      await this.count(tx, shift, userId, now, h.priority, 'push', false, h.messageId);
    }
    if (dropped > 0) this.log.debug({ userId, dropped, reason }, 'held pushes dropped: read');
    return events;
  }

  /**
   * The digest timer: one `notify.digest` with everything collected (held
   * while do-not-disturb), less what the person has read meanwhile; none when
   * nothing is left.
   */
  private async onDigest(userId: string, tx: EntityManager): Promise<void> {
    const items = await tx.findBy(NotifyPendingEntity, { userId, reason: 'digest' });
    if (items.length === 0) return;
    items.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const now = this.clock.now();
    const presence = await this.rosters.presence(userId);
    if (presence.status === 'dnd') {
      const maxMs = (await this.policy.applied(userId)).dndMaxHoldSeconds * 1000;
      const cap = Date.parse(items[0]!.createdAt) + maxMs;
      if (cap > now.getTime()) {
        const until = presence.until ? Date.parse(presence.until) : cap;
        await this.wake(tx, DIGEST_TIMER, userId, Math.min(cap, until));
        return;
      }
    }
    const seen = await this.readAmong(userId, items);
    await tx.delete(NotifyPendingEntity, {
      userId,
      messageId: In(items.map((i) => i.messageId)),
    });
    const unread = items.filter((i) => !seen.has(i.messageId));
    if (unread.length < items.length)
      this.log.debug(
        { userId, dropped: items.length - unread.length },
        'digest items dropped: read',
      );
    if (unread.length === 0) return;
    const data: NotifyDigestEvent = {
      count: unread.length,
      since: unread[0]!.createdAt,
      items: unread.map((i) => ({
        messageId: i.messageId,
        conversationId: i.conversationId,
        priority: i.priority as Priority,
        at: i.createdAt,
      })),
    };
    await this.count(
      tx,
      await this.shiftFor(userId, now),
      userId,
      now,
      'low',
      'digest',
      false,
      null,
    );
    this.publish([{ userId, event: 'notify.digest', data }]);
  }

  /** Schedules the person's `kind` timer (one per person) for `at` (epoch ms). */
  private async wake(tx: EntityManager, kind: string, userId: string, at: number): Promise<void> {
    await this.timers.schedule(tx, { kind, key: userId, dueAt: new Date(at), payload: { userId } });
  }

  /** The person's shift at `at`, or their UTC day when they are not on one. */
  private async shiftFor(userId: string, at: Date): Promise<Shift> {
    const shift = await this.rosters.shiftOf(userId, at);
    if (shift) return { key: shift.id, start: shift.startAt, end: shift.endAt };
    const day = iso(at).slice(0, 10);
    return { key: `day:${day}`, start: `${day}T00:00:00.000Z`, end: null };
  }

  /** Records one interruption against the person's shift (fatigue metric). */
  private async count(tx: EntityManager, ...row: Parameters<typeof interruption>): Promise<void> {
    await tx.insert(NotifyInterruptionEntity, interruption(...row));
  }

  private publish(items: UserEvent[]): void {
    if (items.length > 0) this.bus.emit('messaging.user_events', { items });
  }
}
