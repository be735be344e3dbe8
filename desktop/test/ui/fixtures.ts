import type { ConversationView } from '@konsilium/shared';
import type { UiMessage } from '../../src/ui/data/logic.js';

/** A plain message from someone else in conversation `c1`, number `seq`; `over` changes any field. */
export function uiMessage(seq: number, over: Partial<UiMessage> = {}): UiMessage {
  return {
    id: `m${seq}`,
    conversationId: 'c1',
    seq,
    authorId: 'other',
    text: 'текст',
    priority: 'normal',
    kind: 'informal',
    replyTo: null,
    forwardedFrom: null,
    createdAt: '2026-11-27T09:00:00.000Z',
    editedAt: null,
    recalledAt: null,
    acks: [],
    firstAcceptor: null,
    reactions: [],
    attachments: [],
    ...over,
  };
}

/** A group conversation `id` (titled by its id) whose one member is `me` in `role`. */
export function groupConversation(
  id: string,
  me: string,
  role: 'admin' | 'member',
): ConversationView {
  return {
    id,
    kind: 'group',
    title: id,
    topic: null,
    unitId: null,
    patient: null,
    createdBy: me,
    createdAt: '2026-11-27T09:00:00.000Z',
    members: [{ userId: me, role }],
    lastSeq: 0,
  };
}
