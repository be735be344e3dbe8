import { AckOp, ReceiptOp, SendMessageOp } from '@konsilium/shared';
import type { Realtime } from '../../platform/realtime/realtime.types.js';
import type { Messages } from './messaging.messages.js';
import type { Reads } from './messaging.reads.js';

/** WebSocket ops of messaging, and the resume source of the stream. */
export function registerMessagingRealtime(
  realtime: Realtime,
  messages: Messages,
  reads: Reads,
): void {
  realtime.registerOp('message.send', {
    schema: SendMessageOp,
    handle: async (actor, { conversationId, ...input }, meta) =>
      (await messages.send(actor, conversationId, input, meta)).message,
  });
  realtime.registerOp('message.read', {
    schema: ReceiptOp,
    handle: (actor, { messageId }) => messages.receipt(actor, messageId, 'read'),
  });
  realtime.registerOp('message.delivered', {
    schema: ReceiptOp,
    handle: (actor, { messageId }) => messages.receipt(actor, messageId, 'delivered'),
  });
  realtime.registerOp('message.ack', {
    schema: AckOp,
    handle: (actor, { messageId, response, minutes }, meta) =>
      messages.ack(
        actor,
        messageId,
        { response, ...(minutes !== undefined ? { minutes } : {}) },
        meta,
      ),
  });
  realtime.setResumeSource(
    (userId, after, limit) => reads.eventsSince(userId, after, limit),
    () => reads.head(),
  );
}
