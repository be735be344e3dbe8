import { z } from 'zod';
import { Id } from './common.js';
import {
  ACK_RESPONSES,
  CONVERSATION_KINDS,
  MESSAGE_KINDS,
  PRIORITIES,
  ROLES,
  STAFF_CATEGORIES,
} from '../domain/index.js';

/** The patient a conversation is about (CTX-2): an identifier plus a display label. */
export const PatientBinding = z
  .object({
    system: z.string().trim().min(1).max(200),
    value: z.string().trim().min(1).max(200),
    label: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
export type PatientBinding = z.infer<typeof PatientBinding>;

/** Who receives a broadcast: any of these selectors (union). */
export const BroadcastAudience = z
  .object({
    unitIds: z.array(Id).max(50).optional(),
    categories: z.array(z.enum(STAFF_CATEGORIES)).max(STAFF_CATEGORIES.length).optional(),
    roles: z.array(z.enum(ROLES)).max(ROLES.length).optional(),
    /** Teams (RTE-2): their members at the moment the broadcast is created. */
    teamIds: z.array(Id).max(20).optional(),
  })
  .strict();

/** `POST /api/v1/conversations` */
export const CreateConversationRequest = z
  .object({
    kind: z.enum(CONVERSATION_KINDS),
    memberIds: z.array(Id).max(1000).default([]),
    title: z.string().trim().min(1).max(200).optional(),
    topic: z.string().trim().min(1).max(1000).optional(),
    unitId: Id.optional(),
    patient: PatientBinding.optional(),
    audience: BroadcastAudience.optional(),
    /** `kind: "direct"` with a duty role instead of a member (RTE-1); no `memberIds` then. */
    roleId: Id.optional(),
    /** `kind: "group"` with a team's members at creation (RTE-2); `memberIds` may add more. */
    teamId: Id.optional(),
  })
  .strict();
export type CreateConversationRequest = z.infer<typeof CreateConversationRequest>;

/** `POST /api/v1/conversations/:id/members` (invite, MSG-6). */
export const InviteRequest = z.object({ userIds: z.array(Id).min(1).max(200) }).strict();

/** Forwarded message reference (MSG-7). */
export const ForwardRef = z.object({ messageId: Id }).strict();

/** `POST /api/v1/conversations/:id/messages` and the `message.send` op. */
export const SendMessageRequest = z
  .object({
    id: Id,
    text: z.string().max(1_000_000),
    priority: z.enum(PRIORITIES).default('normal'),
    kind: z.enum(MESSAGE_KINDS).default('informal'),
    replyTo: Id.optional(),
    forward: ForwardRef.optional(),
    /** Uploads (`POST /api/v1/conversations/:id/attachments`) to attach, at most 10. */
    attachmentIds: z.array(Id).max(10).optional(),
  })
  .strict();
export type SendMessageRequest = z.infer<typeof SendMessageRequest>;

/** `message.send` over WebSocket carries the conversation too. */
export const SendMessageOp = SendMessageRequest.extend({ conversationId: Id }).strict();

const ackFields = {
  response: z.enum(ACK_RESPONSES).default('accepted'),
  /** For `call_back`: in how many minutes. */
  minutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .optional(),
};

const needsMinutes = (v: { response: string; minutes?: number | undefined }) =>
  v.response !== 'call_back' || v.minutes !== undefined;
const needsMinutesError = { message: 'minutes is required for call_back', path: ['minutes'] };

/** `POST /api/v1/messages/:id/ack`. */
export const AckRequest = z.object(ackFields).strict().refine(needsMinutes, needsMinutesError);
export type AckRequest = z.infer<typeof AckRequest>;

/** The `message.ack` op: the same, with the message id. */
export const AckOp = z
  .object({ messageId: Id, ...ackFields })
  .strict()
  .refine(needsMinutes, needsMinutesError);

/** `message.read` / `message.delivered` ops: everything up to this message. */
export const ReceiptOp = z.object({ messageId: Id }).strict();

/** `PATCH /api/v1/messages/:id` (edit). */
export const EditMessageRequest = z.object({ text: z.string().max(1_000_000) }).strict();

/** `POST /api/v1/messages/:id/reactions`. */
export const ReactionRequest = z
  .object({ emoji: z.string().min(1).max(16), on: z.boolean().default(true) })
  .strict();

/** `POST /api/v1/quick-replies`. */
export const QuickReplyRequest = z.object({ text: z.string().trim().min(1).max(1000) }).strict();

/** `GET /api/v1/conversations/:id/messages` */
export const HistoryQuery = z
  .object({
    before: z.coerce.number().int().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

/** `GET /api/v1/messages/search` */
export const MessageSearchQuery = z
  .object({
    q: z.string().trim().min(1).max(200),
    conversationId: Id.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();

export interface AckView {
  userId: string;
  response: (typeof ACK_RESPONSES)[number];
  minutes: number | null;
  at: string;
}

export interface ReceiptsView {
  /** Recipients (members other than the author) at send time who are still members. */
  total: number;
  delivered: number;
  read: number;
  /** Per recipient: when delivered/read, null if not yet. */
  members: { userId: string; deliveredAt: string | null; readAt: string | null }[];
}

export interface MessageView {
  id: string;
  conversationId: string;
  seq: number;
  authorId: string;
  text: string;
  priority: (typeof PRIORITIES)[number];
  kind: (typeof MESSAGE_KINDS)[number];
  replyTo: string | null;
  forwardedFrom: {
    messageId: string;
    authorId: string;
    createdAt: string;
    conversationId: string;
  } | null;
  createdAt: string;
  editedAt: string | null;
  recalledAt: string | null;
  acks: AckView[];
  firstAcceptor: { userId: string; at: string } | null;
  reactions: { emoji: string; userIds: string[] }[];
  attachments: { id: string; name: string; contentType: string; size: number }[];
  receipts?: ReceiptsView;
  /** A message to a duty role: the people it was resolved to at send time (and hand-offs since). */
  resolvedTo?: ResolvedPerson[];
  /** A message to a duty role: how it was resolved. */
  resolution?: MessageResolution;
}

/** Someone a message to a role went to. */
export interface ResolvedPerson {
  id: string;
  fullName: string;
  /** Until when they are on call (null: a fallback person). */
  until: string | null;
}

/** How a message to a role was resolved at send time, and where it went since. */
export interface MessageResolution {
  roleId: string;
  /** `shift`, `swap`, `takeover` (an emergency override) or `fallback` (the role had a gap). */
  source: 'shift' | 'swap' | 'takeover' | 'fallback';
  /** Set with `fallback`: why (`gap`). */
  reason?: string;
  /** The roles followed, the addressed role first. */
  chain: string[];
  /** Hand-offs at shift changes: the message passed from `from` to `to` at `at`. */
  handoffs: { at: string; from: string[]; to: string[] }[];
}

export interface ConversationView {
  id: string;
  kind: (typeof CONVERSATION_KINDS)[number];
  title: string | null;
  topic: string | null;
  unitId: string | null;
  patient: PatientBinding | null;
  createdBy: string;
  createdAt: string;
  members: { userId: string; role: 'member' | 'admin' }[];
  /** A direct conversation with a duty role: the role (RTE-1). */
  roleId?: string;
  unread?: number;
  lastSeq: number;
}
