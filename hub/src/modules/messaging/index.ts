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
import type {
  MessagingAttachments,
  MessagingOnCall,
  MessagingPeople,
  MessagingTeams,
} from './messaging.ports.js';
import { IsNull } from 'typeorm';
import { ConversationEntity, MemberEntity } from './messaging.entity.js';
import { Reads } from './messaging.reads.js';
import { RoleEvents } from './messaging.roles.js';
import type { EventBus } from '../../platform/events.js';
import { registerMessagingRealtime } from './messaging.realtime.js';
import { messagingRoutes } from './messaging.routes.js';
import { StreamWriter } from './messaging.stream.js';
import { metricsWindow } from './messaging.metrics.js';

export { MESSAGING_ENTITIES } from './messaging.entity.js';
export type { MetricsMessage } from './messaging.metrics.js';
export type {
  MessagingAttachments,
  MessagingOnCall,
  MessagingPeople,
  MessagingTeams,
} from './messaging.ports.js';

export interface MessagingDeps {
  db: Database;
  audit: AuditLog;
  clock: Clock;
  config: HubConfig;
  log: Logger;
  realtime: Realtime;
  /** Roster events arrive here (hand-off, notifications). */
  bus: EventBus;
  people: MessagingPeople;
  attachments: MessagingAttachments;
  /** Who is on call for a duty role (role addressing). */
  oncall: MessagingOnCall;
  /** Team members (messaging a team). */
  teams: MessagingTeams;
}

/** Builds messaging: conversations, messages, receipts, the event stream and its ops. */
export function createMessaging(deps: MessagingDeps) {
  const log = deps.log.child({ module: 'messaging' });
  const stream = new StreamWriter(deps.db, deps.clock, deps.realtime, deps.audit, log);
  const access = new Access(deps.db);
  const conversations = new Conversations(
    stream,
    access,
    deps.people,
    deps.oncall,
    deps.teams,
    deps.clock,
  );
  const messages = new Messages(
    deps.db,
    stream,
    access,
    deps.config.maxMessageBytes,
    deps.attachments,
    deps.oncall,
    deps.clock,
    deps.bus,
  );
  const reads = new Reads(deps.db, access, deps.audit, deps.attachments, deps.clock);
  registerMessagingRealtime(deps.realtime, messages, reads);
  const roleEvents = new RoleEvents(deps.db, stream, access, deps.oncall, log);
  roleEvents.subscribe(deps.bus);
  const severalNodes = !!deps.config.redisUrl && deps.db.kind === 'postgres';
  deps.realtime.onForeignChange((ids) => {
    if (ids === null) access.forgetAll();
    else for (const id of ids) access.forget(id);
  });
  const module: HubModule = {
    name: 'messaging',
    routes: messagingRoutes({ db: deps.db, conversations, messages, reads }),
    start: async () => {
      if (!severalNodes) return;
      access.forgetAll();
      stream.watchForeignCommits(
        async (tx, after, upTo) => {
          const rows = await tx.query<{ id: string }[]>(
            `SELECT DISTINCT conversation_id AS id FROM stream_event
           WHERE seq > $1 AND seq <= $2 AND conversation_id IS NOT NULL
             AND type IN ('conversation.created', 'conversation.updated')`,
            [after, upTo],
          );
          const ids = rows.map((r) => r.id);
          for (const id of ids) access.forget(id);
          return ids;
        },
        await reads.head(),
      );
    },
    stop: async () => {
      await roleEvents.stop();
      await stream.drained();
    },
  };
  /** Whether the user is an active member (the files module's access rule). */
  const isMember = async (userId: string, conversationId: string) =>
    (await deps.db.manager.countBy(MemberEntity, { conversationId, userId, leftSeq: IsNull() })) >
    0;
  /** Messages of [from, to) with receipt and acknowledgement times (metrics, ADM-1). */
  const window = (from: string, to: string) => metricsWindow(deps.db, from, to);
  /** The conversation's unit and duty role (escalation picks its policy by unit). */
  const conversationScope = async (conversationId: string) => {
    const c = await deps.db.manager.findOneBy(ConversationEntity, { id: conversationId });
    return c ? { unitId: c.unitId, roleId: c.roleId ?? null } : null;
  };
  return {
    module,
    conversations,
    messages,
    reads,
    isMember,
    roleEvents,
    conversationScope,
    window,
  };
}
