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
export class Access {
  constructor(private readonly db: Database) {}

  async conversation(id: string): Promise<ConversationRow> {
    const c = await this.db.manager.findOneBy(ConversationEntity, { id });
    if (!c) throw new AppError('messaging.conversation_not_found');
    return c;
  }

  /** The caller's active membership, or `messaging.not_member`. */
  async member(
    conversationId: string,
    userId: string,
  ): Promise<{ c: ConversationRow; me: MemberRow }> {
    const c = await this.conversation(conversationId);
    const me = await this.db.manager.findOneBy(MemberEntity, { conversationId, userId });
    if (!me || me.leftSeq !== null) throw new AppError('messaging.not_member');
    return { c, me };
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
