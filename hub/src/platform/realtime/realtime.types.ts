import type { ZodType, ZodTypeDef } from 'zod';
import type { EventFrame } from '@konsilium/shared';
import type { Actor, RequestMeta } from '../http/actor.js';

/** A client operation over WebSocket (`{"id","op","data"}`), registered by a module. */
export interface OpHandler<T = unknown> {
  /** Validates `data`; a failure answers `validation.invalid` and keeps the connection. */
  schema: ZodType<T, ZodTypeDef, unknown>;
  /** Runs the operation; its result becomes the reply's `data`. Throw AppError to refuse. */
  handle(actor: Actor, data: T, meta: RequestMeta): Promise<unknown>;
}

/**
 * Where missed events come from on resume: every event for `userId` with
 * `seq > afterSeq`, oldest first, at most `limit`. Supplied by messaging.
 */
export type ResumeSource = (
  userId: string,
  afterSeq: number,
  limit: number,
) => Promise<EventFrame[]>;

/** The realtime gateway as modules see it. */
export interface Realtime {
  /** Registers an op (`message.send`); names are `<domain>.<verb>`. */
  registerOp<T>(op: string, handler: OpHandler<T>): void;
  /** Sets where resume reads missed events; also gives the current head. */
  setResumeSource(source: ResumeSource, head: () => Promise<number>): void;
  /**
   * Sends an event to every open, authenticated socket of these users (after
   * it is durable). `json`, if given, is `event` already serialised.
   */
  publish(userIds: Iterable<string>, event: EventFrame, json?: string): void;
  /** How many sockets are open (authenticated), for metrics and tests. */
  connectionCount(): number;
  /** Whether the user has at least one open, authenticated socket (presence: `offline`). */
  isOnline(userId: string): boolean;
}
