import { randomUUID } from 'node:crypto';
import { AppError, searchWords, type EventFrame, type MessageView } from '@konsilium/shared';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import { callContext, type Actor, type RequestMeta } from '../../platform/http/actor.js';
import type { AuditLog } from '../audit/index.js';
import type { Access } from './messaging.access.js';
import {
  MemberEntity,
  MessageEntity,
  QuickReplyEntity,
  StreamEventEntity,
  StreamHeadEntity,
  type StreamEventRow,
} from './messaging.entity.js';
import { loadMessageExtras, messageView, receiptsView } from './messaging.views.js';
import type { MessagingAttachments } from './messaging.ports.js';

/** History, search, the resume stream and quick replies: everything that reads. */
export class Reads {
  constructor(
    private readonly db: Database,
    private readonly access: Access,
    private readonly audit: AuditLog,
    private readonly attachments: MessagingAttachments,
    private readonly clock: Clock,
  ) {}

  /** Newest `limit` messages before `before` (a seq), oldest first, with receipts. */
  async history(actor: Actor, conversationId: string, before: number | undefined, limit: number) {
    await this.access.member(conversationId, actor.userId);
    const m = this.db.manager;
    const qb = m
      .createQueryBuilder(MessageEntity, 'msg')
      .where('msg.conversation_id = :conversationId', { conversationId });
    if (before !== undefined) qb.andWhere('msg.seq < :before', { before });
    const rows = (
      await qb
        .orderBy('msg.seq', 'DESC')
        .limit(limit + 1)
        .getMany()
    ).reverse();
    const more = rows.length > limit;
    const page = more ? rows.slice(1) : rows;
    const members = await m.findBy(MemberEntity, { conversationId });
    const ids = page.map((r) => r.id);
    const { acks, reactions } = await loadMessageExtras(m, ids);
    const files = await this.attachments.forMessages(ids);
    const items: MessageView[] = page.map((r) => ({
      ...messageView(r, acks.get(r.id), reactions.get(r.id), files.get(r.id)),
      receipts: receiptsView(r, members),
    }));
    return { items, ...(more && page[0] ? { next: Number(page[0].seq) } : {}) };
  }

  /** One message with its receipts ("read by 5 of 7 — not yet: …"). */
  async message(actor: Actor, messageId: string): Promise<MessageView> {
    const { msg } = await this.access.message(messageId, actor.userId);
    const members = await this.db.manager.findBy(MemberEntity, {
      conversationId: msg.conversationId,
    });
    const { acks, reactions } = await loadMessageExtras(this.db.manager, [msg.id]);
    const files = await this.attachments.forMessages([msg.id]);
    return {
      ...messageView(msg, acks.get(msg.id), reactions.get(msg.id), files.get(msg.id)),
      receipts: receiptsView(msg, members),
    };
  }

  /**
   * Full-text search over the messages of the caller's conversations: every
   * query word is the prefix of a word of the text (folded: case, ё = е).
   */
  async search(actor: Actor, q: string, conversationId: string | undefined, limit: number) {
    const words = searchWords(q);
    if (words.length === 0) return { items: [] };
    const qb = this.db.manager
      .createQueryBuilder(MessageEntity, 'msg')
      .innerJoin(
        'ConversationMember',
        'me',
        'me.conversation_id = msg.conversation_id AND me.user_id = :userId AND me.left_seq IS NULL',
        { userId: actor.userId },
      )
      .where('msg.recalled_at IS NULL AND msg.system IS NULL');
    if (conversationId) qb.andWhere('msg.conversation_id = :cid', { cid: conversationId });
    words.forEach((w, i) => {
      const safe = w.replace(/[\\%_]/g, (c) => `\\${c}`);
      qb.andWhere(`msg.fold LIKE :w${i} ESCAPE '\\'`, { [`w${i}`]: `%${safe}%` });
    });
    const rows = await qb
      .orderBy('msg.seq', 'DESC')
      .limit(limit * 4)
      .getMany();
    // LIKE finds the word inside other text too; keep true word prefixes only.
    const hits = rows.filter((r) => {
      const textWords = searchWords(r.fold);
      return words.every((w) => textWords.some((t) => t.startsWith(w)));
    });
    const page = hits.slice(0, limit);
    const ids = page.map((r) => r.id);
    const { acks, reactions } = await loadMessageExtras(this.db.manager, ids);
    const files = await this.attachments.forMessages(ids);
    return {
      items: page.map((r) => messageView(r, acks.get(r.id), reactions.get(r.id), files.get(r.id))),
    };
  }

  /**
   * The resume source: every event for `userId` after `afterSeq`: events of
   * conversations while the user was a member, and events addressed to them.
   */
  async eventsSince(userId: string, afterSeq: number, limit: number): Promise<EventFrame[]> {
    const rows: StreamEventRow[] = await this.db.manager
      .createQueryBuilder(StreamEventEntity, 'e')
      .where('e.seq > :after', { after: afterSeq })
      .andWhere(
        `(e.user_id = :userId OR EXISTS (SELECT 1 FROM conversation_member m WHERE m.conversation_id = e.conversation_id AND m.user_id = :userId AND m.joined_seq <= e.seq AND (m.left_seq IS NULL OR e.seq <= m.left_seq)))`,
        { userId },
      )
      .orderBy('e.seq', 'ASC')
      .limit(limit)
      .getMany();
    return rows.map((r) => ({
      seq: Number(r.seq),
      event: r.type,
      data: JSON.parse(r.data) as unknown,
    }));
  }

  async head(): Promise<number> {
    return Number((await this.db.manager.findOneByOrFail(StreamHeadEntity, { id: 1 })).seq);
  }

  // ---- quick replies (MSG-8) ----
  async quickReplies(actor: Actor) {
    const rows = await this.db.manager.find(QuickReplyEntity, {
      where: { userId: actor.userId },
      order: { createdAt: 'ASC' },
    });
    return rows.map((r) => ({ id: r.id, text: r.text, createdAt: r.createdAt }));
  }

  async addQuickReply(actor: Actor, text: string, meta: RequestMeta) {
    const count = await this.db.manager.countBy(QuickReplyEntity, { userId: actor.userId });
    if (count >= 100)
      throw new AppError('messaging.not_allowed', { message: 'At most 100 quick replies' });
    const row = {
      id: randomUUID(),
      userId: actor.userId,
      text,
      createdAt: this.clock.now().toISOString(),
    };
    await this.db.transaction(async (tx) => {
      await tx.insert(QuickReplyEntity, row);
      await this.audit.append(tx, {
        ...callContext(actor, meta),
        action: 'messaging.quick_reply.create',
        targetType: 'quick_reply',
        targetId: row.id,
      });
    });
    return { id: row.id, text: row.text, createdAt: row.createdAt };
  }

  async deleteQuickReply(actor: Actor, id: string, meta: RequestMeta) {
    await this.db.transaction(async (tx) => {
      const r = await tx.delete(QuickReplyEntity, { id, userId: actor.userId });
      if (!r.affected) throw new AppError('messaging.quick_reply_not_found');
      await this.audit.append(tx, {
        ...callContext(actor, meta),
        action: 'messaging.quick_reply.delete',
        targetType: 'quick_reply',
        targetId: id,
      });
    });
  }
}
