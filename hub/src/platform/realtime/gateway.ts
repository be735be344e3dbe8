/*
 * The realtime gateway lands in the next change; this placeholder keeps the
 * composition root and the messaging module's contract compiling. Events
 * published here go nowhere; clients read history and receipts over REST.
 */
import type { Server } from 'node:http';
import type { EventFrame } from '@konsilium/shared';
import type { HubConfig } from '../../config/index.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events.js';
import type { Authenticator } from '../http/actor.js';
import type { Logger } from '../log/logger.js';
import type { OpHandler, Realtime, ResumeSource } from './realtime.types.js';

export interface GatewayOptions {
  config: HubConfig;
  log: Logger;
  clock: Clock;
  bus: EventBus;
  authenticate: Authenticator;
}

export class RealtimeGateway implements Realtime {
  constructor(readonly options: GatewayOptions) {}
  registerOp<T>(_op: string, _handler: OpHandler<T>): void {}
  setResumeSource(_source: ResumeSource, _head: () => Promise<number>): void {}
  publish(_userIds: Iterable<string>, _event: EventFrame): void {}
  connectionCount(): number {
    return 0;
  }
  /** Starts accepting upgrades at `/api/v1/ws` on this server. */
  attach(_server: Server): void {}
  /** Closes every socket (1001) and stops timers. */
  async close(): Promise<void> {}
}
