import { In, IsNull } from 'typeorm';
import { ACCEPTING_RESPONSES, type AckResponse } from '@konsilium/shared';
import type { Database } from '../../platform/db/database.js';
import type { EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/log/logger.js';
import type { Access } from './messaging.access.js';
import { memberRow } from './messaging.conversations.js';
import {
  ConversationEntity,
  MemberEntity,
  MessageEntity,
  type MessageRow,
} from './messaging.entity.js';
import type { MessagingOnCall } from './messaging.ports.js';
import type { BulkKind, StreamWriter } from './messaging.stream.js';
import {
  activeMembers,
  conversationView,
  loadMessageExtras,
  messageView,
  type StoredResolution,
} from './messaging.views.js';

/** The messages that pass to the incoming person at a shift change. */
const needsHandoff = (m: MessageRow) =>
  m.priority === 'urgent' || m.priority === 'critical' || m.kind === 'order';

/**
 * Who holds a message of a role that passes on now: the outgoing people it
 * went to, or, for a message that went to the fallback during a gap and was
 * not handed on since, its fallback people (the gap ends when someone comes in).
 */
function holders(r: StoredResolution, outgoing: ReadonlySet<string>): string[] {
  const out = r.people.filter((p) => outgoing.has(p.id)).map((p) => p.id);
  if (out.length > 0) return out;
  return r.source === 'fallback' && r.handoffs.length === 0 ? r.people.map((p) => p.id) : [];
}

/**
 * Roster events into the messaging stream: hand-off of unacknowledged urgent
 * and critical messages and orders of a role at a shift change (RTE-1), and
 * roster notifications as per-user stream events (with a `seq`, so they
 * survive a reconnect through resume).
 */
export class RoleEvents {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly off: (() => void)[] = [];

  constructor(
    private readonly db: Database,
    private readonly stream: StreamWriter,
    private readonly access: Access,
    private readonly oncall: MessagingOnCall,
    private readonly log: Logger,
  ) {}

  subscribe(bus: EventBus): void {
    this.off.push(
      bus.on('rosters.shift_changed', (e) => this.track(this.handOff(e))),
      bus.on('rosters.notify', (e) => this.track(this.notify(e.userIds, e.event, e.data))),
      bus.on('messaging.user_events', (e) => this.track(this.userEvents(e.items))),
      bus.on('messaging.user_event', (e) => this.track(this.notify(e.userIds, e.event, e.data))),
    );
  }

  /** Stops listening and waits for what was started. */
  async stop(): Promise<void> {
    for (const off of this.off.splice(0)) off();
    await Promise.all([...this.inFlight]);
  }

  /** Settles when every event received so far has been written (tests wait on it). */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  private track(p: Promise<void>): void {
    const run = p.catch((err: unknown) => this.log.error({ err }, 'roster event not applied'));
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  /**
   * Per-user events: many asked for together (alerts opening at once) share
   * the batch's savepoint instead of taking one each; they cannot fail.
   */
  private readonly eventKind: BulkKind<{ to: string[]; event: string; data: unknown }, void> = {
    single: (item) => (s) => {
      for (const u of item.to) s.emit(s.next(), { userId: u }, item.event, item.data, [u]);
      return Promise.resolve();
    },
    apply: async (s, items, units) => {
      await Promise.all(items.map((item, k) => this.eventKind.single(item)(units[k]!)));
      return items.map(() => ({ ok: true, value: undefined }));
    },
  };

  /** One per-user stream event for each of these people. */
  private async notify(userIds: string[], event: string, data: unknown): Promise<void> {
    const to = [...new Set(userIds)];
    if (to.length === 0) return;
    await this.stream.submitBulk(this.eventKind, { to, event, data });
  }

  /** Per-user stream events asked for by other modules, in one batch. */
  private async userEvents(
    items: { userId: string; event: string; data: unknown }[],
  ): Promise<void> {
    if (items.length === 0) return;
    await this.stream.submit(async (s) => {
      for (const i of items) s.emit(s.next(), { userId: i.userId }, i.event, i.data, [i.userId]);
    });
  }

  /**
   * At a shift change, the role's unacknowledged urgent/critical messages and
   * orders that went to someone outgoing pass to the incoming people: they
   * join the conversation, the messages record the hand-off, and both sides
   * get a `role.handoff` event. Audited as `messaging.role_handoff`.
   */
  private async handOff(e: {
    roleId: string;
    at: string;
    outgoing: string[];
    incoming: string[];
  }): Promise<void> {
    if (e.incoming.length === 0) return;
    const convs = await this.db.manager.findBy(ConversationEntity, { roleId: e.roleId });
    if (convs.length === 0) return;
    const answer = await this.oncall.resolve(e.roleId, new Date(e.at));
    const incoming = answer.people
      .filter((p) => e.incoming.includes(p.id))
      .map((p) => ({ id: p.id, fullName: p.fullName, until: p.until }));
    if (incoming.length === 0) return;
    const out = new Set(e.outgoing);
    const work: { conversationId: string; messageIds: string[] }[] = [];
    for (const c of convs) {
      const rows = (
        await this.db.manager.findBy(MessageEntity, {
          conversationId: c.id,
          recalledAt: IsNull(),
          system: IsNull(),
        })
      ).filter((m) => m.resolution && needsHandoff(m));
      const { acks } = await loadMessageExtras(
        this.db.manager,
        rows.map((m) => m.id),
      );
      const pending = rows.filter((m) => {
        const r = JSON.parse(m.resolution!) as StoredResolution;
        const accepted = (acks.get(m.id) ?? []).some((a) =>
          ACCEPTING_RESPONSES.includes(a.response as AckResponse),
        );
        return !accepted && holders(r, out).length > 0;
      });
      if (pending.length) work.push({ conversationId: c.id, messageIds: pending.map((m) => m.id) });
    }
    if (work.length === 0) return;
    const toIds = incoming.map((p) => p.id);
    await this.stream.submit(async (s) => {
      for (const { conversationId, messageIds: asked } of work) {
        // Each hub node sees the same shift boundary: a message handed off
        // at this boundary to these people already (by another node, whose
        // batch committed first) is not handed off twice.
        const rows = (await s.tx.findBy(MessageEntity, { id: In(asked) })).filter(
          (m) => !handedOff(JSON.parse(m.resolution!) as StoredResolution, e.at, toIds),
        );
        if (rows.length === 0) continue;
        rows.sort((x, y) => asked.indexOf(x.id) - asked.indexOf(y.id));
        const messageIds = rows.map((m) => m.id);
        const before = await activeMembers(s.tx, conversationId);
        const had = new Set(before.map((m) => m.userId));
        const add = incoming.map((p) => p.id).filter((u) => !had.has(u));
        if (add.length) {
          const seq = s.next();
          for (const u of add) {
            await s.tx.delete(MemberEntity, { conversationId, userId: u });
            await s.tx.insert(MemberEntity, memberRow(conversationId, u, 'member', seq, s.now));
          }
          s.membershipChanged.add(conversationId);
          s.afterCommit(() => this.access.forget(conversationId));
          const c = await s.tx.findOneByOrFail(ConversationEntity, { id: conversationId });
          const view = conversationView(c, await activeMembers(s.tx, conversationId));
          s.emit(seq, { conversationId }, 'conversation.updated', view, [...had, ...add]);
        }
        const to = (await activeMembers(s.tx, conversationId)).map((m) => m.userId);
        const from = new Set<string>();
        const views = [];
        for (const row of rows) {
          const id = row.id;
          const r = JSON.parse(row.resolution!) as StoredResolution;
          const was = holders(r, out);
          for (const u of was) from.add(u);
          const known = new Set(r.people.map((p) => p.id));
          r.people.push(...incoming.filter((p) => !known.has(p.id)));
          r.handoffs.push({ at: e.at, from: was, to: incoming.map((p) => p.id) });
          row.resolution = JSON.stringify(r);
          await s.tx.update(MessageEntity, { id }, { resolution: row.resolution });
          const { acks, reactions } = await loadMessageExtras(s.tx, [id]);
          const view = messageView(row, acks.get(id), reactions.get(id));
          views.push(view);
          s.emit(s.next(), { conversationId }, 'message.updated', view, to);
        }
        s.audit({
          actorId: null,
          deviceId: null,
          requestId: null,
          action: 'messaging.role_handoff',
          targetType: 'conversation',
          targetId: conversationId,
          details: {
            roleId: e.roleId,
            at: e.at,
            from: [...from],
            to: incoming.map((p) => p.id),
            messageIds,
          },
        });
        const data = {
          roleId: e.roleId,
          at: e.at,
          conversationId,
          from: [...from],
          to: incoming,
          messages: views,
        };
        for (const u of new Set([...from, ...incoming.map((p) => p.id)])) {
          s.emit(s.next(), { userId: u }, 'role.handoff', data, [u]);
        }
      }
    });
  }
}

/** Whether this message was handed off at `at` to exactly these people already. */
function handedOff(r: StoredResolution, at: string, to: readonly string[]): boolean {
  const want = new Set(to);
  return r.handoffs.some(
    (h) => h.at === at && h.to.length === want.size && h.to.every((u) => want.has(u)),
  );
}
