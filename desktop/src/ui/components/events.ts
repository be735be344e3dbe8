/** The UI's typed DOM events (`ks-<noun>-<verb>`); all bubble out of shadow roots. */
import type { Screen } from './screens.js';

const init = { bubbles: true, composed: true } as const;

export class KsConversationOpenEvent extends Event {
  static readonly type = 'ks-conversation-open';
  constructor(readonly conversationId: string) {
    super(KsConversationOpenEvent.type, init);
  }
}

export class KsScreenChangeEvent extends Event {
  static readonly type = 'ks-screen-change';
  constructor(
    readonly screen: Screen,
    readonly mode: 'direct' | 'patient' = 'direct',
  ) {
    super(KsScreenChangeEvent.type, init);
  }
}

export class KsMessageReplyEvent extends Event {
  static readonly type = 'ks-message-reply';
  constructor(readonly messageId: string) {
    super(KsMessageReplyEvent.type, init);
  }
}

export class KsMessageForwardEvent extends Event {
  static readonly type = 'ks-message-forward';
  constructor(readonly messageId: string) {
    super(KsMessageForwardEvent.type, init);
  }
}

declare global {
  interface HTMLElementEventMap {
    'ks-conversation-open': KsConversationOpenEvent;
    'ks-screen-change': KsScreenChangeEvent;
    'ks-message-reply': KsMessageReplyEvent;
    'ks-message-forward': KsMessageForwardEvent;
  }
}
