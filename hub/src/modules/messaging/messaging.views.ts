import { In, type EntityManager } from 'typeorm';
import {
  ACCEPTING_RESPONSES,
  type AckResponse,
  type ConversationView,
  type MessageResolution,
  type MessageView,
  type ResolvedPerson,
  type ReceiptsView,
} from '@konsilium/shared';
import {
  AckEntity,
  MemberEntity,
  ReactionEntity,
  type AckRow,
  type ConversationRow,
  type MemberRow,
  type MessageRow,
  type ReactionRow,
} from './messaging.entity.js';

type Forward = NonNullable<MessageView['forwardedFrom']>;

/** What `message.resolution` holds: the people a message to a role went to, and how. */
export type StoredResolution = MessageResolution & { people: ResolvedPerson[] };

/** A message as clients see it; a recalled message shows no text. */
export function messageView(
  row: MessageRow,
  acks: AckRow[] = [],
  reactions: ReactionRow[] = [],
  attachments: MessageView['attachments'] = [],
) {
  const sortedAcks = [...acks].sort((a, b) => Number(a.seq) - Number(b.seq));
  const first = sortedAcks.find((a) => ACCEPTING_RESPONSES.includes(a.response as AckResponse));
  const byEmoji = new Map<string, string[]>();
  for (const r of reactions) byEmoji.set(r.emoji, [...(byEmoji.get(r.emoji) ?? []), r.userId]);
  const view: MessageView & { system?: unknown } = {
    id: row.id,
    conversationId: row.conversationId,
    seq: Number(row.seq),
    authorId: row.authorId,
    text: row.recalledAt ? '' : row.text,
    priority: row.priority as MessageView['priority'],
    kind: row.kind as MessageView['kind'],
    replyTo: row.replyTo,
    forwardedFrom: row.forward ? (JSON.parse(row.forward) as Forward) : null,
    createdAt: row.createdAt,
    editedAt: row.editedAt,
    recalledAt: row.recalledAt,
    acks: sortedAcks.map((a) => ({
      userId: a.userId,
      response: a.response as AckResponse,
      minutes: a.minutes,
      at: a.at,
    })),
    firstAcceptor: first ? { userId: first.userId, at: first.at } : null,
    reactions: [...byEmoji].map(([emoji, userIds]) => ({ emoji, userIds })),
    attachments: row.recalledAt ? [] : attachments,
  };
  if (row.system) view.system = JSON.parse(row.system) as unknown;
  if (row.resolution) {
    const { people, ...resolution } = JSON.parse(row.resolution) as StoredResolution;
    view.resolvedTo = people;
    view.resolution = resolution;
  }
  return view;
}

/** Acks and reactions of many messages in two queries. */
export async function loadMessageExtras(m: EntityManager, ids: string[]) {
  const acks = new Map<string, AckRow[]>();
  const reactions = new Map<string, ReactionRow[]>();
  if (ids.length === 0) return { acks, reactions };
  for (const a of await m.findBy(AckEntity, { messageId: In(ids) })) {
    acks.set(a.messageId, [...(acks.get(a.messageId) ?? []), a]);
  }
  for (const r of await m.findBy(ReactionEntity, { messageId: In(ids) })) {
    reactions.set(r.messageId, [...(reactions.get(r.messageId) ?? []), r]);
  }
  return { acks, reactions };
}

/**
 * Receipts from member watermarks (MSG-2): a recipient has a message when
 * their delivered/read watermark reached its seq. Recipients are the members
 * other than the author who had joined by the message and have not left.
 */
export function receiptsView(msg: MessageRow, members: MemberRow[]): ReceiptsView {
  const seq = Number(msg.seq);
  const recipients = members.filter(
    (m) => m.userId !== msg.authorId && Number(m.joinedSeq) <= seq && m.leftSeq === null,
  );
  const list = recipients.map((m) => ({
    userId: m.userId,
    deliveredAt: Number(m.deliveredSeq) >= seq ? m.deliveredAt : null,
    readAt: Number(m.readSeq) >= seq ? m.readAt : null,
  }));
  return {
    total: list.length,
    delivered: list.filter((r) => r.deliveredAt !== null).length,
    read: list.filter((r) => r.readAt !== null).length,
    members: list,
  };
}

export function conversationView(c: ConversationRow, members: MemberRow[]): ConversationView {
  return {
    id: c.id,
    kind: c.kind as ConversationView['kind'],
    title: c.title,
    topic: c.topic,
    unitId: c.unitId,
    patient:
      c.patientSystem && c.patientValue
        ? {
            system: c.patientSystem,
            value: c.patientValue,
            ...(c.patientLabel ? { label: c.patientLabel } : {}),
          }
        : null,
    createdBy: c.createdBy,
    createdAt: c.createdAt,
    members: members
      .filter((m) => m.leftSeq === null)
      .map((m) => ({
        userId: m.userId,
        role: m.role as ConversationView['members'][number]['role'],
      })),
    lastSeq: Number(c.lastSeq),
    ...(c.roleId ? { roleId: c.roleId } : {}),
  };
}

export async function activeMembers(
  m: EntityManager,
  conversationId: string,
): Promise<MemberRow[]> {
  return (await m.findBy(MemberEntity, { conversationId })).filter((r) => r.leftSeq === null);
}
