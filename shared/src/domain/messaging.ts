/** Message priority (MSG-4), lowest first. `low` is «когда удобно». */
export const PRIORITIES = ['low', 'normal', 'urgent', 'critical'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Informal consultation vs. an order that every recipient must acknowledge (LEG-2). */
export const MESSAGE_KINDS = ['informal', 'order'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** Conversation kinds (MSG-1, MSG-9). */
export const CONVERSATION_KINDS = ['direct', 'group', 'channel', 'broadcast'] as const;
export type ConversationKind = (typeof CONVERSATION_KINDS)[number];

/**
 * Typed acknowledgement responses (MSG-5): «Принял», «Иду»,
 * «Перезвоню через N мин», «Не моё» (decline).
 */
export const ACK_RESPONSES = ['accepted', 'coming', 'call_back', 'decline'] as const;
export type AckResponse = (typeof ACK_RESPONSES)[number];

/** Responses that count as taking the message on (the first such is shown to all). */
export const ACCEPTING_RESPONSES: readonly AckResponse[] = ['accepted', 'coming', 'call_back'];

/** Member roles inside a conversation. */
export const MEMBER_ROLES = ['member', 'admin'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** WebSocket close codes of the realtime protocol (documented in docs/protocol.md). */
export const CLOSE_CODES = {
  /** The first frame was not a valid `auth`, or the token was rejected. */
  authFailed: 4001,
  /** No `auth` frame arrived in time. */
  authTimeout: 4002,
  /** The session was logged out, revoked or expired. */
  sessionEnded: 4003,
  /** The client did not read fast enough; reconnect and resume. */
  slowConsumer: 4008,
  /** Too many malformed frames. */
  protocolViolation: 4009,
  /** The hub is shutting down; reconnect and resume. */
  goingAway: 1001,
  /** A frame larger than the hub's maxPayload. */
  tooBig: 1009,
} as const;
