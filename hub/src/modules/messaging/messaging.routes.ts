import { z } from 'zod';
import {
  AckRequest,
  AppError,
  CreateConversationRequest,
  EditMessageRequest,
  HistoryQuery,
  Id,
  InviteRequest,
  MessageSearchQuery,
  QuickReplyRequest,
  ReactionRequest,
  SendMessageRequest,
} from '@konsilium/shared';
import type { Actor } from '../../platform/http/actor.js';
import { route, type Route } from '../../platform/http/routes.js';
import type { Conversations } from './messaging.conversations.js';
import type { Messages } from './messaging.messages.js';
import type { Reads } from './messaging.reads.js';
import type { Database } from '../../platform/db/database.js';

const IdParam = z.object({ id: Id }).strict();
const MemberParam = z.object({ id: Id, userId: Id }).strict();
const USE = { permission: 'messaging.use' } as const;

function need(actor: Actor | null): Actor {
  if (!actor) throw new AppError('auth.unauthenticated');
  return actor;
}

/** The messaging REST surface: the same operations as the WebSocket ops, for scripts and integrations. */
export function messagingRoutes(deps: {
  db: Database;
  conversations: Conversations;
  messages: Messages;
  reads: Reads;
}): Route[] {
  const { conversations, messages, reads } = deps;
  return [
    route({
      method: 'POST',
      path: '/api/v1/conversations',
      access: USE,
      body: CreateConversationRequest,
      handler: async ({ actor, body, meta }) => {
        const r = await conversations.create(need(actor), body, meta);
        return { status: r.created ? 201 : 200, body: r.view };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/conversations',
      access: USE,
      handler: async ({ actor }) => ({
        body: { items: await conversations.list(need(actor).userId, deps.db.manager) },
      }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/conversations/:id/members',
      access: USE,
      params: IdParam,
      body: InviteRequest,
      handler: async ({ actor, params, body, meta }) => ({
        body: await conversations.invite(need(actor), params.id, body.userIds, meta),
      }),
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/conversations/:id/members/:userId',
      access: USE,
      params: MemberParam,
      handler: async ({ actor, params, meta }) => ({
        body: await conversations.remove(need(actor), params.id, params.userId, meta),
      }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/conversations/:id/join',
      access: USE,
      params: IdParam,
      handler: async ({ actor, params, meta }) => ({
        body: await conversations.join(need(actor), params.id, meta),
      }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/conversations/:id/leave',
      access: USE,
      params: IdParam,
      handler: async ({ actor, params, meta }) => ({
        body: await conversations.leave(need(actor), params.id, meta),
      }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/conversations/:id/messages',
      access: USE,
      params: IdParam,
      body: SendMessageRequest,
      handler: async ({ actor, params, body, meta }) => {
        const r = await messages.send(need(actor), params.id, body, meta);
        return { status: r.created ? 201 : 200, body: r.message };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/conversations/:id/messages',
      access: USE,
      params: IdParam,
      query: HistoryQuery,
      handler: async ({ actor, params, query }) => ({
        body: await reads.history(need(actor), params.id, query.before, query.limit),
      }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/messages/search',
      access: USE,
      query: MessageSearchQuery,
      handler: async ({ actor, query }) => ({
        body: await reads.search(need(actor), query.q, query.conversationId, query.limit),
      }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/messages/:id',
      access: USE,
      params: IdParam,
      handler: async ({ actor, params }) => ({ body: await reads.message(need(actor), params.id) }),
    }),
    route({
      method: 'PATCH',
      path: '/api/v1/messages/:id',
      access: USE,
      params: IdParam,
      body: EditMessageRequest,
      handler: async ({ actor, params, body, meta }) => ({
        body: await messages.change(need(actor), params.id, { text: body.text }, meta),
      }),
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/messages/:id',
      access: USE,
      params: IdParam,
      handler: async ({ actor, params, meta }) => ({
        body: await messages.change(need(actor), params.id, null, meta),
      }),
    }),
    ...(['read', 'delivered'] as const).map((which) =>
      route({
        method: 'POST',
        path: `/api/v1/messages/:id/${which}`,
        access: USE,
        params: IdParam,
        handler: async ({ actor, params }) => ({
          body: await messages.receipt(need(actor), params.id, which),
        }),
      }),
    ),
    route({
      method: 'POST',
      path: '/api/v1/messages/:id/ack',
      access: USE,
      params: IdParam,
      body: AckRequest,
      handler: async ({ actor, params, body, meta }) => ({
        body: await messages.ack(need(actor), params.id, body, meta),
      }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/messages/:id/reactions',
      access: USE,
      params: IdParam,
      body: ReactionRequest,
      handler: async ({ actor, params, body, meta }) => ({
        body: await messages.react(need(actor), params.id, body.emoji, body.on, meta),
      }),
    }),
    route({
      method: 'GET',
      path: '/api/v1/quick-replies',
      access: USE,
      handler: async ({ actor }) => ({ body: { items: await reads.quickReplies(need(actor)) } }),
    }),
    route({
      method: 'POST',
      path: '/api/v1/quick-replies',
      access: USE,
      body: QuickReplyRequest,
      handler: async ({ actor, body, meta }) => ({
        status: 201,
        body: await reads.addQuickReply(need(actor), body.text, meta),
      }),
    }),
    route({
      method: 'DELETE',
      path: '/api/v1/quick-replies/:id',
      access: USE,
      params: IdParam,
      handler: async ({ actor, params, meta }) => {
        await reads.deleteQuickReply(need(actor), params.id, meta);
        return { status: 204 };
      },
    }),
  ];
}
