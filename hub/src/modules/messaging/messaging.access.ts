import { AppError } from '@konsilium/shared';
import type { Database } from '../../platform/db/database.js';
import {
  ConversationEntity,
  MemberEntity,
  MessageEntity,
  type ConversationRow,
  type MemberRow,
  type MessageRow,
} from './messaging.entity.js';

/**
 * Membership is the access rule of messaging (SEC-2): one place answers
 * "may this user see this conversation / message".
 */
interface Cached {
  c: ConversationRow;
  /** Active members by user id. */
  members: Map<string, MemberRow>;
}

export class Access {
  /**
   * Conversations with their active members, read once and kept: membership
   * changes only through the stream writers, which call {@link forget} after
   * each such change commits; with several hub nodes the others' changes
   * arrive through the realtime fan-out and each batch re-reads what changed
   * since this node's last one (ADR 0025). Watermarks in the cached rows may lag; callers that
   * need them read them inside their unit of work.
   */
  private readonly cache = new Map<string, Promise<Cached | null>>();

  constructor(private readonly db: Database) {}

  private load(id: string): Promise<Cached | null> {
    let hit = this.cache.get(id);
    if (!hit) {
      hit = (async () => {
        const c = await this.db.manager.findOneBy(ConversationEntity, { id });
        if (!c) return null;
        const rows = await this.db.manager.findBy(MemberEntity, { conversationId: id });
        return {
          c,
          members: new Map(rows.filter((r) => r.leftSeq === null).map((r) => [r.userId, r])),
        };
      })();
      this.cache.set(id, hit);
      hit.then(
        (v) => v === null && this.cache.delete(id),
        () => this.cache.delete(id),
      );
    }
    return hit;
  }

  /** Drops everything (another hub node may have changed any membership). */
  forgetAll(): void {
    this.cache.clear();
  }

  /** Drops what is known of a conversation (after its membership changed). */
  forget(conversationId: string): void {
    this.cache.delete(conversationId);
  }

  /**
   * Keeps what a stream writer has just committed for a new conversation (its
   * row and members), so the first send into it reads nothing again. Called
   * after the commit, in place of {@link forget}.
   */
  remember(c: ConversationRow, members: MemberRow[]): void {
    this.cache.set(
      c.id,
      Promise.resolve({
        c,
        members: new Map(members.filter((r) => r.leftSeq === null).map((r) => [r.userId, r])),
      }),
    );
  }

  async conversation(id: string): Promise<ConversationRow> {
    const hit = await this.load(id);
    if (!hit) throw new AppError('messaging.conversation_not_found');
    return hit.c;
  }

  /** The caller's active membership, or `messaging.not_member`. */
  async member(
    conversationId: string,
    userId: string,
  ): Promise<{ c: ConversationRow; me: MemberRow }> {
    const hit = await this.load(conversationId);
    if (!hit) throw new AppError('messaging.conversation_not_found');
    const me = hit.members.get(userId);
    if (!me) throw new AppError('messaging.not_member');
    return { c: hit.c, me };
  }

  /** The active members' ids: who gets a conversation's events live. */
  async recipients(conversationId: string): Promise<string[]> {
    const hit = await this.load(conversationId);
    return hit ? [...hit.members.keys()] : [];
  }

  /** A message the caller may read (member of its conversation). */
  async message(
    messageId: string,
    userId: string,
  ): Promise<{ msg: MessageRow; c: ConversationRow; me: MemberRow }> {
    const msg = await this.db.manager.findOneBy(MessageEntity, { id: messageId });
    if (!msg) throw new AppError('messaging.message_not_found');
    const { c, me } = await this.member(msg.conversationId, userId);
    return { msg, c, me };
  }
}
