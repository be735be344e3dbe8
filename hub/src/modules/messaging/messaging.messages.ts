import { Params } from '../../platform/db/params.js';
import { together, type Step } from '../../platform/db/together.js';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import {
  AppError,
  foldText,
  type AckRequest,
  type MessageView,
  type SendMessageRequest,
} from '@konsilium/shared';
import type { Database } from '../../platform/db/database.js';
import { callContext, type Actor, type RequestMeta } from '../../platform/http/actor.js';
import type { Access } from './messaging.access.js';
import {
  AckEntity,
  ConversationEntity,
  MemberEntity,
  MessageEntity,
  ReactionEntity,
  RevisionEntity,
  type MessageRow,
} from './messaging.entity.js';
import type { BulkKind, BulkOutcome, StreamTx, StreamWriter } from './messaging.stream.js';
import type { AttachmentInfo, MessagingAttachments, MessagingOnCall } from './messaging.ports.js';
import type { Clock } from '../../platform/clock.js';
import type { EventBus } from '../../platform/events.js';
import { memberRow } from './messaging.conversations.js';
import {
  activeMembers,
  conversationView,
  loadMessageExtras,
  messageView,
  type StoredResolution,
} from './messaging.views.js';

/** Bound parameters per statement (SQLite's limit is 32,766; PostgreSQL's 65,535). */
const CHUNK = 896;
const MESSAGE_COLUMNS = [
  'id',
  'conversation_id',
  'seq',
  'author_id',
  'text',
  'fold',
  'priority',
  'kind',
  'reply_to',
  'forward',
  'system',
  'created_at',
  'edited_at',
  'recalled_at',
] as const;

/** A checked send, ready for the batch. */
/** A checked send waiting for the stream's batch. */
export interface SendItem {
  actor: Actor;
  meta: RequestMeta;
  conversationId: string;
  input: SendMessageRequest;
  text: string;
  forward: string | null;
  ids: string[];
  files: AttachmentInfo[];
  /** Sent by its owner into a conversation with a duty role: the role. */
  roleId: string | null;
  /** For such a send: to whom the role resolved just before the batch. */
  resolution?: StoredResolution;
}

interface SendResult {
  created: boolean;
  message: MessageView;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Sending, receipts, acknowledgements, edits, recalls and reactions (MSG-2..8, LEG-2). */
export class Messages {
  constructor(
    private readonly db: Database,
    private readonly stream: StreamWriter,
    private readonly access: Access,
    private readonly maxTextBytes: number,
    private readonly attachments: MessagingAttachments,
    private readonly oncall: MessagingOnCall,
    private readonly clock: Clock,
    private readonly bus: EventBus,
  ) {}

  /**
   * Sends a message with a client-chosen id. The same id again returns the
   * stored message and creates nothing (invariant 2); the promise settles only
   * after the message, its event and its audit row are committed (invariant 1).
   */
  async send(
    actor: Actor,
    conversationId: string,
    input: SendMessageRequest,
    meta: RequestMeta,
  ): Promise<{ created: boolean; message: MessageView }> {
    let item: SendItem;
    try {
      item = await this.prepare(actor, conversationId, input, meta);
    } catch (err) {
      // A resend of a stored message answers with it even if a check would
      // now refuse it (the idempotency lookup is otherwise done in the batch).
      const existing = await this.db.manager.findOneBy(MessageEntity, { id: input.id });
      if (!existing) throw err;
      this.sameSend(existing, actor, conversationId);
      return { created: false, message: await this.view(this.db.manager, existing.id) };
    }
    if (item.roleId) {
      // A message to a role is resolved at send time and written alone: the
      // membership changes with each resolution (a resend returns the stored one).
      if (!(await this.db.manager.findOneBy(MessageEntity, { id: input.id }))) {
        item.resolution = await this.resolveRole(item.roleId);
      }
      return this.stream.submit(this.sendKind.single(item));
    }
    return item.ids.length
      ? this.stream.submit(this.sendKind.single(item))
      : this.stream.submitBulk(this.sendKind, item);
  }

  /** Who a role answers with now; refuses rather than deliver to nobody. */
  private async resolveRole(roleId: string): Promise<StoredResolution> {
    const answer = await this.oncall.resolve(roleId, this.clock.now());
    if (answer.source === 'none' || answer.people.length === 0) {
      throw new AppError('messaging.role_unreachable', {
        details: { roleId, reason: answer.reason ?? 'no-fallback' },
      });
    }
    return {
      roleId,
      source: answer.source,
      ...(answer.reason ? { reason: answer.reason } : {}),
      chain: answer.chain,
      handoffs: [],
      people: answer.people.map((p) => ({ id: p.id, fullName: p.fullName, until: p.until })),
    };
  }

  /**
   * Makes the conversation's members the owner plus the people the role
   * resolved to: new ones join, people no longer on call leave (each in the
   * send's batch, with `conversation.updated` to everyone concerned).
   */
  private async applyResolution(
    s: StreamTx,
    conversationId: string,
    ownerId: string,
    people: readonly string[],
  ): Promise<void> {
    const before = await activeMembers(s.tx, conversationId);
    const had = new Set(before.map((m) => m.userId));
    const want = new Set([ownerId, ...people]);
    const add = [...want].filter((u) => !had.has(u));
    const remove = [...had].filter((u) => !want.has(u));
    if (add.length === 0 && remove.length === 0) return;
    const seq = s.next();
    for (const u of add) {
      await s.tx.delete(MemberEntity, { conversationId, userId: u });
      await s.tx.insert(MemberEntity, memberRow(conversationId, u, 'member', seq, s.now));
    }
    for (const u of remove) {
      await s.tx.update(
        MemberEntity,
        { conversationId, userId: u },
        { leftSeq: seq, leftAt: s.now },
      );
    }
    s.membershipChanged.add(conversationId);
    s.afterCommit(() => this.access.forget(conversationId));
    const c = await s.tx.findOneByOrFail(ConversationEntity, { id: conversationId });
    const view = conversationView(c, await activeMembers(s.tx, conversationId));
    s.emit(seq, { conversationId }, 'conversation.updated', view, [...had, ...add]);
  }

  /** The checks of a send outside the batch; what the batch needs to write it. */
  private async prepare(
    actor: Actor,
    conversationId: string,
    input: SendMessageRequest,
    meta: RequestMeta,
  ): Promise<SendItem> {
    if (Buffer.byteLength(input.text, 'utf8') > this.maxTextBytes) {
      throw new AppError('messaging.text_too_long', {
        field: 'text',
        details: { maxBytes: this.maxTextBytes },
      });
    }
    const { c, me } = await this.access.member(conversationId, actor.userId);
    if (c.kind === 'broadcast' && me.role !== 'admin') {
      throw new AppError('messaging.not_allowed', {
        message: 'Recipients of a broadcast can acknowledge it but not reply into it',
      });
    }
    if (input.replyTo) {
      const parent = await this.db.manager.findOneBy(MessageEntity, { id: input.replyTo });
      if (!parent || parent.conversationId !== conversationId) {
        throw new AppError('messaging.message_not_found', { field: 'replyTo' });
      }
    }
    let forward: string | null = null;
    let text = input.text;
    if (input.forward) {
      const { msg } = await this.access.message(input.forward.messageId, actor.userId).catch(() => {
        throw new AppError('messaging.message_not_found', { field: 'forward.messageId' });
      });
      if (msg.recalledAt) throw new AppError('messaging.recalled', { field: 'forward.messageId' });
      const original = msg.forward ? (JSON.parse(msg.forward) as Record<string, string>) : null;
      forward = JSON.stringify(
        original ?? {
          messageId: msg.id,
          authorId: msg.authorId,
          createdAt: msg.createdAt,
          conversationId: msg.conversationId,
        },
      );
      if (!text.trim()) text = msg.text;
    }
    const ids = input.attachmentIds ?? [];
    const files: AttachmentInfo[] = ids.length
      ? await this.attachments.check(ids, conversationId, actor.userId)
      : [];
    if (!text.trim() && files.length === 0) {
      throw new AppError('messaging.empty_message', { field: 'text' });
    }
    // Only the owner's sends are addressed to the role; the people on call reply as members.
    const roleId = c.roleId && c.createdBy === actor.userId ? c.roleId : null;
    return { actor, meta, conversationId, input, text, forward, ids, files, roleId };
  }

  /**
   * Sends applied one by one (`single`: with attachments, after a failed bulk,
   * or a concurrent duplicate) or a run of plain sends of one batch together
   * (`apply`: one idempotency lookup, multi-row inserts, one conversation and
   * one sender-watermark update for the whole run; ADR 0017).
   */
  private readonly sendKind: BulkKind<SendItem, SendResult> = {
    single: (item) => async (s) => {
      const { actor, conversationId, input, ids } = item;
      const again = await s.tx.findOneBy(MessageEntity, { id: input.id });
      if (again) {
        this.sameSend(again, actor, conversationId);
        return { created: false, message: await this.view(s.tx, again.id) };
      }
      if (item.resolution) {
        const people = item.resolution.people.map((p) => p.id);
        await this.applyResolution(s, conversationId, actor.userId, people);
      }
      const to = await this.recipients(s, conversationId);
      if (!to.includes(actor.userId)) throw new AppError('messaging.not_member');
      const row = this.newMessage(s, item);
      if (item.resolution) row.resolution = JSON.stringify(item.resolution);
      await s.tx.insert(MessageEntity, row);
      if (ids.length) await this.attachments.claim(s.tx, ids, row.id);
      await s.tx.update(
        ConversationEntity,
        { id: conversationId },
        { lastSeq: row.seq, updatedAt: s.now },
      );
      await s.tx.update(
        MemberEntity,
        { conversationId, userId: actor.userId },
        { readSeq: row.seq, readAt: s.now, deliveredSeq: row.seq, deliveredAt: s.now },
      );
      return this.sent(s, item, row, to);
    },
    apply: async (s, items, units) => {
      const stored = await this.storedIds(
        s.tx,
        items.map((it) => it.input.id),
      );
      const seen = new Set<string>();
      const rows: MessageRow[] = [];
      const out: BulkOutcome<SendResult>[] = [];
      for (const [k, item] of items.entries()) {
        const id = item.input.id;
        if (stored.has(id) || seen.has(id)) {
          out.push({ alone: true });
          continue;
        }
        const u = units[k]!;
        const to = await this.recipients(u, item.conversationId);
        if (!to.includes(item.actor.userId)) {
          out.push({ ok: false, error: new AppError('messaging.not_member') });
          continue;
        }
        seen.add(id);
        const row = this.newMessage(u, item);
        rows.push(row);
        out.push({ ok: true, value: this.sent(u, item, row, to) });
      }
      if (rows.length) await this.writeMessages(s, rows);
      return out;
    },
  };

  /** Whether a text is within the size limit of a message. */
  textFits(text: string): boolean {
    return Buffer.byteLength(text, 'utf8') <= this.maxTextBytes;
  }

  /** A new message's row at the next stream position (for messaging's own bulk paths too). */
  newMessage(s: StreamTx, item: SendItem): MessageRow {
    const { actor, conversationId, input, text, forward } = item;
    return {
      id: input.id,
      conversationId,
      seq: s.next(),
      authorId: actor.userId,
      text,
      fold: foldText(text),
      priority: input.priority,
      kind: input.kind,
      replyTo: input.replyTo ?? null,
      forward,
      system: null,
      createdAt: s.now,
      editedAt: null,
      recalledAt: null,
    };
  }

  /** Audits and emits a stored message; its caller's result. */
  sent(s: StreamTx, item: SendItem, row: MessageRow, to: string[]): SendResult {
    const { actor, meta, conversationId, forward, ids, files, input } = item;
    s.audit({
      ...callContext(actor, meta),
      action: 'messaging.message.send',
      targetType: 'message',
      targetId: row.id,
      details: {
        conversationId,
        priority: row.priority,
        kind: row.kind,
        recipients: to.length - 1,
        ...(forward ? { forwarded: true } : {}),
        ...(ids.length ? { attachments: ids } : {}),
      },
    });
    const message = messageView(row, [], [], files);
    s.emit(Number(row.seq), { conversationId }, 'message.created', message, to);
    const r = item.resolution;
    s.afterCommit(() =>
      this.bus.emit('messaging.sent', {
        messageId: row.id,
        conversationId,
        authorId: actor.userId,
        priority: input.priority,
        kind: input.kind,
        recipientIds: to.filter((id) => id !== actor.userId),
        ...(r ? { roleId: r.roleId } : {}),
        at: s.now,
      }),
    );
    if (r) {
      s.audit({
        ...callContext(actor, meta),
        action: 'messaging.role_resolved',
        targetType: 'message',
        targetId: row.id,
        details: {
          conversationId,
          roleId: r.roleId,
          source: r.source,
          ...(r.reason ? { reason: r.reason } : {}),
          chain: r.chain,
          userIds: r.people.map((p) => p.id),
        },
      });
      if (r.source === 'fallback') {
        // The sender is told that the role had nobody on call.
        const data = {
          conversationId,
          messageId: row.id,
          roleId: r.roleId,
          reason: r.reason ?? 'gap',
          resolvedTo: r.people,
        };
        s.emit(s.next(), { userId: actor.userId }, 'role.fallback', data, [actor.userId]);
      }
    }
    return { created: true, message };
  }

  /** Which of these message ids are stored already. */
  async storedIds(tx: EntityManager, ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const part = ids.slice(i, i + CHUNK);
      const rows = await tx.query<{ id: string }[]>(
        `SELECT id FROM message WHERE id IN (${part.map((_, n) => this.param(n + 1)).join(', ')})`,
        part,
      );
      for (const r of rows) found.add(r.id);
    }
    return found;
  }

  /**
   * Writes a run of new messages: multi-row inserts, then per conversation
   * its newest position and per sender their watermarks (each message marks
   * its sender's own conversation read up to it) in one statement each.
   */
  async writeMessages(s: StreamTx, rows: readonly MessageRow[]): Promise<void> {
    const cols = MESSAGE_COLUMNS;
    // Independent statements (the conversations exist): sent together.
    const statements: Step[] = [];
    for (let i = 0; i < rows.length; i += CHUNK / cols.length) {
      const part = rows.slice(i, i + CHUNK / cols.length);
      const params = new Params(this.db.kind === 'postgres');
      const tuples = part.map((r) =>
        params.tuple([
          r.id,
          r.conversationId,
          r.seq,
          r.authorId,
          r.text,
          r.fold,
          r.priority,
          r.kind,
          r.replyTo,
          r.forward,
          r.system,
          r.createdAt,
          r.editedAt,
          r.recalledAt,
        ]),
      );
      statements.push(() =>
        s.tx.query(
          `INSERT INTO message (${cols.join(', ')}) VALUES ${tuples.join(', ')}`,
          params.values,
        ),
      );
    }
    // Rows are in seq order: the last one per key wins. Positions are integers
    // made here, so they go into the statement as literals.
    const lastByConversation = new Map<string, number>();
    const lastBySender = new Map<string, { c: string; u: string; seq: number }>();
    for (const r of rows) {
      const seq = Number(r.seq);
      lastByConversation.set(r.conversationId, seq);
      lastBySender.set(`${r.conversationId} ${r.authorId}`, {
        c: r.conversationId,
        u: r.authorId,
        seq,
      });
    }
    const convs = [...lastByConversation];
    for (let i = 0; i < convs.length; i += CHUNK / 2) {
      const part = convs.slice(i, i + CHUNK / 2);
      const values: unknown[] = [s.now];
      const cases = part.map(([c, seq]) => {
        values.push(c);
        return `WHEN ${this.param(values.length)} THEN ${seq.toFixed(0)}`;
      });
      const list = part.map((_, n) => this.param(n + 2)).join(', ');
      statements.push(() =>
        s.tx.query(
          `UPDATE conversation SET last_seq = CASE id ${cases.join(' ')} END, updated_at = ${this.param(1)} WHERE id IN (${list})`,
          values,
        ),
      );
    }
    const senders = [...lastBySender.values()];
    for (let i = 0; i < senders.length; i += CHUNK / 4) {
      const part = senders.slice(i, i + CHUNK / 4);
      const values: unknown[] = [s.now];
      const cases: string[] = [];
      const keys: string[] = [];
      for (const m of part) {
        values.push(m.c, m.u);
        const c = this.param(values.length - 1);
        const u = this.param(values.length);
        cases.push(`WHEN conversation_id = ${c} AND user_id = ${u} THEN ${m.seq.toFixed(0)}`);
        keys.push(`(conversation_id = ${c} AND user_id = ${u})`);
      }
      const seq = `CASE ${cases.join(' ')} END`;
      statements.push(() =>
        s.tx.query(
          `UPDATE conversation_member SET read_seq = ${seq}, delivered_seq = ${seq}, read_at = ${this.param(1)}, delivered_at = ${this.param(1)} WHERE ${keys.join(' OR ')}`,
          values,
        ),
      );
    }
    await together(s.tx, ...statements);
  }

  /** The n-th (1-based) bound parameter in this database's syntax. */
  private param(n: number): string {
    return this.db.kind === 'postgres' ? `$${n}` : `?${n}`;
  }

  /** Who gets a conversation's events live; exact even after a membership change in this batch. */
  private async recipients(s: StreamTx, conversationId: string): Promise<string[]> {
    return s.membershipChanged.has(conversationId)
      ? (await activeMembers(s.tx, conversationId)).map((m) => m.userId)
      : this.access.recipients(conversationId);
  }

  private sameSend(row: MessageRow, actor: Actor, conversationId: string): MessageView {
    if (row.authorId !== actor.userId || row.conversationId !== conversationId) {
      throw new AppError('messaging.id_conflict', { field: 'id' });
    }
    return messageView(row);
  }

  /**
   * Moves the caller's watermark up to this message (MSG-2): `read` implies
   * `delivered`. Watermarks never move back; the sender and the other members
   * get `message.receipt`.
   */
  async receipt(actor: Actor, messageId: string, which: 'delivered' | 'read') {
    const { msg, me } = await this.access.message(messageId, actor.userId);
    const seq = Number(msg.seq);
    const needs = which === 'read' ? Number(me.readSeq) < seq : Number(me.deliveredSeq) < seq;
    if (!needs) return watermark(me);
    return this.stream.submit(async (s) => {
      const cur = await s.tx.findOneByOrFail(MemberEntity, {
        conversationId: msg.conversationId,
        userId: actor.userId,
      });
      const update: Partial<typeof cur> = {};
      if (Number(cur.deliveredSeq) < seq)
        Object.assign(update, { deliveredSeq: seq, deliveredAt: s.now });
      if (which === 'read' && Number(cur.readSeq) < seq)
        Object.assign(update, { readSeq: seq, readAt: s.now });
      if (Object.keys(update).length === 0) return watermark(cur);
      await s.tx.update(
        MemberEntity,
        { conversationId: msg.conversationId, userId: actor.userId },
        update,
      );
      const next = { ...cur, ...update };
      const data = { conversationId: msg.conversationId, userId: actor.userId, ...watermark(next) };
      const to = await this.recipients(s, msg.conversationId);
      s.emit(s.next(), { conversationId: msg.conversationId }, 'message.receipt', data, to);
      return watermark(next);
    });
  }

  /** A typed acknowledgement (MSG-5); «Не моё» is `decline`. Re-acknowledging replaces the answer. */
  async ack(actor: Actor, messageId: string, input: AckRequest, meta: RequestMeta) {
    const { msg } = await this.access.message(messageId, actor.userId);
    if (msg.authorId === actor.userId) {
      throw new AppError('messaging.not_allowed', { message: 'The author does not acknowledge' });
    }
    if (msg.recalledAt) throw new AppError('messaging.recalled');
    return this.stream.submit(async (s) => {
      const eventSeq = s.next();
      await s.tx.delete(AckEntity, { messageId, userId: actor.userId });
      await s.tx.insert(AckEntity, {
        messageId,
        userId: actor.userId,
        response: input.response,
        minutes: input.response === 'call_back' ? (input.minutes ?? null) : null,
        at: s.now,
        seq: eventSeq,
      });
      // Acknowledging reads the message, and read implies delivered.
      for (const [column, at] of [
        ['read', 'readAt'],
        ['delivered', 'deliveredAt'],
      ] as const) {
        await s.tx
          .createQueryBuilder()
          .update(MemberEntity)
          .set({ [`${column}Seq`]: Number(msg.seq), [at]: s.now })
          .where(`conversation_id = :c AND user_id = :u AND ${column}_seq < :seq`, {
            c: msg.conversationId,
            u: actor.userId,
            seq: Number(msg.seq),
          })
          .execute();
      }
      s.audit({
        ...callContext(actor, meta),
        action: 'messaging.message.ack',
        targetType: 'message',
        targetId: messageId,
        details: { conversationId: msg.conversationId, response: input.response },
      });
      const view = await this.view(s.tx, msg.id);
      const to = await this.recipients(s, msg.conversationId);
      s.emit(eventSeq, { conversationId: msg.conversationId }, 'message.updated', view, to);
      s.afterCommit(() =>
        this.bus.emit('messaging.acknowledged', {
          messageId,
          conversationId: msg.conversationId,
          userId: actor.userId,
          response: input.response,
          ...(input.response === 'call_back' && input.minutes ? { minutes: input.minutes } : {}),
          at: s.now,
        }),
      );
      return view;
    });
  }

  /** Edit or recall by the author; the previous text is kept as a revision whose digest is audited. */
  async change(actor: Actor, messageId: string, edit: { text: string } | null, meta: RequestMeta) {
    const { msg } = await this.access.message(messageId, actor.userId);
    if (msg.authorId !== actor.userId || msg.system) throw new AppError('messaging.not_author');
    if (msg.recalledAt) throw new AppError('messaging.recalled');
    if (edit) {
      if (!edit.text.trim()) throw new AppError('messaging.empty_message', { field: 'text' });
      if (Buffer.byteLength(edit.text, 'utf8') > this.maxTextBytes) {
        throw new AppError('messaging.text_too_long', { field: 'text' });
      }
    }
    return this.stream.submit(async (s) => {
      const revs = await s.tx.countBy(RevisionEntity, { messageId });
      await s.tx.insert(RevisionEntity, {
        messageId,
        rev: revs + 1,
        change: edit ? 'edit' : 'recall',
        text: msg.text,
        changedBy: actor.userId,
        changedAt: s.now,
      });
      await s.tx.update(
        MessageEntity,
        { id: messageId },
        edit
          ? { text: edit.text, fold: foldText(edit.text), editedAt: s.now }
          : { recalledAt: s.now, fold: '' },
      );
      s.audit({
        ...callContext(actor, meta),
        action: edit ? 'messaging.message.edit' : 'messaging.message.recall',
        targetType: 'message',
        targetId: messageId,
        details: {
          conversationId: msg.conversationId,
          revision: revs + 1,
          previousSha256: digest(msg.text),
        },
      });
      const view = await this.view(s.tx, messageId);
      const to = await this.recipients(s, msg.conversationId);
      s.emit(s.next(), { conversationId: msg.conversationId }, 'message.updated', view, to);
      return view;
    });
  }

  async react(actor: Actor, messageId: string, emoji: string, on: boolean, meta: RequestMeta) {
    const { msg } = await this.access.message(messageId, actor.userId);
    if (msg.recalledAt) throw new AppError('messaging.recalled');
    return this.stream.submit(async (s) => {
      await s.tx.delete(ReactionEntity, { messageId, userId: actor.userId, emoji });
      if (on)
        await s.tx.insert(ReactionEntity, { messageId, userId: actor.userId, emoji, at: s.now });
      s.audit({
        ...callContext(actor, meta),
        action: 'messaging.message.react',
        targetType: 'message',
        targetId: messageId,
        details: { emoji, on },
      });
      const view = await this.view(s.tx, messageId);
      const to = await this.recipients(s, msg.conversationId);
      s.emit(s.next(), { conversationId: msg.conversationId }, 'message.updated', view, to);
      return view;
    });
  }

  private async view(m: import('typeorm').EntityManager, id: string): Promise<MessageView> {
    const row = await m.findOneByOrFail(MessageEntity, { id });
    const { acks, reactions } = await loadMessageExtras(m, [id]);
    const files = await this.attachments.forMessages([id]);
    return messageView(row, acks.get(id), reactions.get(id), files.get(id));
  }
}

function watermark(m: {
  deliveredSeq: string | number;
  deliveredAt: string | null;
  readSeq: string | number;
  readAt: string | null;
}) {
  return {
    deliveredSeq: Number(m.deliveredSeq),
    deliveredAt: m.deliveredAt,
    readSeq: Number(m.readSeq),
    readAt: m.readAt,
  };
}
