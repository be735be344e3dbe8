import type { HubConfig } from '../../config/index.js';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { Logger } from '../../platform/log/logger.js';
import type { HubModule } from '../../platform/module.js';
import type { Realtime } from '../../platform/realtime/realtime.types.js';
import type { AuditLog } from '../audit/index.js';
import { Access } from './messaging.access.js';
import { Conversations } from './messaging.conversations.js';
import { Messages } from './messaging.messages.js';
import type { MessagingPeople } from './messaging.ports.js';
import { Reads } from './messaging.reads.js';
import { registerMessagingRealtime } from './messaging.realtime.js';
import { messagingRoutes } from './messaging.routes.js';
import { StreamWriter } from './messaging.stream.js';

export { MESSAGING_ENTITIES } from './messaging.entity.js';
export type { MessagingPeople } from './messaging.ports.js';

export interface MessagingDeps {
  db: Database;
  audit: AuditLog;
  clock: Clock;
  config: HubConfig;
  log: Logger;
  realtime: Realtime;
  people: MessagingPeople;
}

/** Builds messaging: conversations, messages, receipts, the event stream and its ops. */
export function createMessaging(deps: MessagingDeps) {
  const log = deps.log.child({ module: 'messaging' });
  const stream = new StreamWriter(deps.db, deps.clock, deps.realtime, log);
  const access = new Access(deps.db);
  const conversations = new Conversations(stream, access, deps.audit, deps.people);
  const messages = new Messages(deps.db, stream, access, deps.audit, deps.config.maxMessageBytes);
  const reads = new Reads(deps.db, access, deps.audit);
  registerMessagingRealtime(deps.realtime, messages, reads);
  const module: HubModule = {
    name: 'messaging',
    routes: messagingRoutes({ db: deps.db, conversations, messages, reads }),
    stop: () => stream.drained(),
  };
  return { module, conversations, messages, reads };
}
