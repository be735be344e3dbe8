import { EntitySchema } from 'typeorm';

const v = (length: number, nullable = false, name?: string) => ({
  type: 'varchar' as const,
  length,
  nullable,
  ...(name ? { name } : {}),
});
const big = (name?: string, nullable = false) => ({
  type: 'bigint' as const,
  nullable,
  ...(name ? { name } : {}),
});

export interface ConversationRow {
  id: string;
  kind: string;
  title: string | null;
  topic: string | null;
  unitId: string | null;
  directKey: string | null;
  patientSystem: string | null;
  patientValue: string | null;
  patientLabel: string | null;
  audience: string | null;
  /** A direct conversation with a duty role: the role. */
  roleId?: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  lastSeq: string | number;
}

export const ConversationEntity = new EntitySchema<ConversationRow>({
  name: 'Conversation',
  tableName: 'conversation',
  columns: {
    id: { ...v(36), primary: true },
    kind: v(16),
    title: v(200, true),
    topic: v(1000, true),
    unitId: v(36, true, 'unit_id'),
    directKey: v(80, true, 'direct_key'),
    patientSystem: v(200, true, 'patient_system'),
    patientValue: v(200, true, 'patient_value'),
    patientLabel: v(200, true, 'patient_label'),
    audience: { type: 'text', nullable: true },
    roleId: v(36, true, 'role_id'),
    createdBy: v(36, false, 'created_by'),
    createdAt: v(30, false, 'created_at'),
    updatedAt: v(30, false, 'updated_at'),
    lastSeq: big('last_seq'),
  },
});

export interface MemberRow {
  conversationId: string;
  userId: string;
  role: string;
  joinedAt: string;
  joinedSeq: string | number;
  leftAt: string | null;
  leftSeq: string | number | null;
  deliveredSeq: string | number;
  deliveredAt: string | null;
  readSeq: string | number;
  readAt: string | null;
}

export const MemberEntity = new EntitySchema<MemberRow>({
  name: 'ConversationMember',
  tableName: 'conversation_member',
  columns: {
    conversationId: { ...v(36, false, 'conversation_id'), primary: true },
    userId: { ...v(36, false, 'user_id'), primary: true },
    role: v(16),
    joinedAt: v(30, false, 'joined_at'),
    joinedSeq: big('joined_seq'),
    leftAt: v(30, true, 'left_at'),
    leftSeq: big('left_seq', true),
    deliveredSeq: big('delivered_seq'),
    deliveredAt: v(30, true, 'delivered_at'),
    readSeq: big('read_seq'),
    readAt: v(30, true, 'read_at'),
  },
});

export interface MessageRow {
  id: string;
  conversationId: string;
  seq: string | number;
  authorId: string;
  text: string;
  fold: string;
  priority: string;
  kind: string;
  replyTo: string | null;
  forward: string | null;
  system: string | null;
  createdAt: string;
  editedAt: string | null;
  recalledAt: string | null;
  /** A message to a role: to whom it was resolved (JSON: people, source, reason, hand-offs). */
  resolution?: string | null;
}

export const MessageEntity = new EntitySchema<MessageRow>({
  name: 'Message',
  tableName: 'message',
  columns: {
    id: { ...v(36), primary: true },
    conversationId: v(36, false, 'conversation_id'),
    seq: big(),
    authorId: v(36, false, 'author_id'),
    text: { type: 'text' },
    fold: { type: 'text' },
    priority: v(16),
    kind: v(16),
    replyTo: v(36, true, 'reply_to'),
    forward: { type: 'text', nullable: true },
    system: { type: 'text', nullable: true },
    createdAt: v(30, false, 'created_at'),
    editedAt: v(30, true, 'edited_at'),
    recalledAt: v(30, true, 'recalled_at'),
    resolution: { type: 'text', nullable: true },
  },
});

/** The text a message had before an edit or recall; the audit row holds its digest. */
export interface RevisionRow {
  messageId: string;
  rev: number;
  change: string;
  text: string;
  changedBy: string;
  changedAt: string;
}

export const RevisionEntity = new EntitySchema<RevisionRow>({
  name: 'MessageRevision',
  tableName: 'message_revision',
  columns: {
    messageId: { ...v(36, false, 'message_id'), primary: true },
    rev: { type: 'integer', primary: true },
    change: v(16),
    text: { type: 'text' },
    changedBy: v(36, false, 'changed_by'),
    changedAt: v(30, false, 'changed_at'),
  },
});

export interface AckRow {
  messageId: string;
  userId: string;
  response: string;
  minutes: number | null;
  at: string;
  /** Stream position of the acknowledgement: orders acks that share a timestamp. */
  seq: string | number;
}

export const AckEntity = new EntitySchema<AckRow>({
  name: 'MessageAck',
  tableName: 'message_ack',
  columns: {
    messageId: { ...v(36, false, 'message_id'), primary: true },
    userId: { ...v(36, false, 'user_id'), primary: true },
    response: v(16),
    minutes: { type: 'integer', nullable: true },
    at: v(30),
    seq: big(),
  },
});

export interface ReactionRow {
  messageId: string;
  userId: string;
  emoji: string;
  at: string;
}

export const ReactionEntity = new EntitySchema<ReactionRow>({
  name: 'MessageReaction',
  tableName: 'message_reaction',
  columns: {
    messageId: { ...v(36, false, 'message_id'), primary: true },
    userId: { ...v(36, false, 'user_id'), primary: true },
    emoji: { ...v(16), primary: true },
    at: v(30),
  },
});

export interface QuickReplyRow {
  id: string;
  userId: string;
  text: string;
  createdAt: string;
}

export const QuickReplyEntity = new EntitySchema<QuickReplyRow>({
  name: 'QuickReply',
  tableName: 'quick_reply',
  columns: {
    id: { ...v(36), primary: true },
    userId: v(36, false, 'user_id'),
    text: v(1000),
    createdAt: v(30, false, 'created_at'),
  },
});

export interface StreamEventRow {
  seq: string | number;
  conversationId: string | null;
  userId: string | null;
  type: string;
  data: string;
  at: string;
}

export const StreamEventEntity = new EntitySchema<StreamEventRow>({
  name: 'StreamEvent',
  tableName: 'stream_event',
  columns: {
    seq: { ...big(), primary: true },
    conversationId: v(36, true, 'conversation_id'),
    userId: v(36, true, 'user_id'),
    type: v(64),
    data: { type: 'text' },
    at: v(30),
  },
});

export interface StreamHeadRow {
  id: number;
  seq: string | number;
}

export const StreamHeadEntity = new EntitySchema<StreamHeadRow>({
  name: 'StreamHead',
  tableName: 'stream_head',
  columns: { id: { type: 'integer', primary: true }, seq: big() },
});

export const MESSAGING_ENTITIES = [
  ConversationEntity,
  MemberEntity,
  MessageEntity,
  RevisionEntity,
  AckEntity,
  ReactionEntity,
  QuickReplyEntity,
  StreamEventEntity,
  StreamHeadEntity,
];
