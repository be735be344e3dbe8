import { PresenceWatchRequest, SetPresenceRequest } from '@konsilium/shared';
import type { Realtime } from '../../platform/realtime/realtime.types.js';
import type { PresenceService } from './rosters.presence.js';

/** WebSocket ops of presence: the same as `POST /api/v1/presence/watch` and `PUT /api/v1/presence/me`. */
export function registerRosterRealtime(realtime: Realtime, presence: PresenceService): void {
  realtime.registerOp('presence.watch', {
    schema: PresenceWatchRequest,
    handle: async (actor, { userIds }) => ({ items: await presence.watch(actor.userId, userIds) }),
  });
  realtime.registerOp('presence.set', {
    schema: SetPresenceRequest,
    handle: (actor, input, meta) => presence.set(actor, meta, input),
  });
}
