import { createHash } from 'node:crypto';
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
import type { StreamTx, StreamWriter } from './messaging.stream.js';
import type { AttachmentInfo, MessagingAttachments } from './messaging.ports.js';
import { activeMembers, loadMessageExtras, messageView } from './messaging.views.js';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Sending, receipts, acknowledgements, edits, recalls and reactions (MSG-2..8, LEG-2). */
export class Messages {
  constructor(
    private readonly db: Database,
    private readonly stream: StreamWriter,
    private readonly access: Access,
    private readonly maxTextBytes: number,
    private readonly attachments: MessagingAttachments,
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
    const existing = await this.db.manager.findOneBy(MessageEntity, { id: input.id });
    if (existing) {
      this.sameSend(existing, actor, conversationId);
      return { created: false, message: await this.view(this.db.manager, existing.id) };
    }
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

    return this.stream.submit(async (s) => {
      const again = await s.tx.findOneBy(MessageEntity, { id: input.id });
      if (again) {
        this.sameSend(again, actor, conversationId);
        return { created: false, message: await this.view(s.tx, again.id) };
      }
      const to = await this.recipients(s, conversationId);
      if (!to.includes(actor.userId)) throw new AppError('messaging.not_member');
      const seq = s.next();
      const row: MessageRow = {
        id: input.id,
        conversationId,
        seq,
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
      await s.tx.insert(MessageEntity, row);
      if (ids.length) await this.attachments.claim(s.tx, ids, row.id);
      await s.tx.update(
        ConversationEntity,
        { id: conversationId },
        { lastSeq: seq, updatedAt: s.now },
      );
      await s.tx.update(
        MemberEntity,
        { conversationId, userId: actor.userId },
        { readSeq: seq, readAt: s.now, deliveredSeq: seq, deliveredAt: s.now },
      );
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
      s.emit(seq, { conversationId }, 'message.created', message, to);
      return { created: true, message };
    });
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
