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

/**
 * Node-local caches of several hub nodes on one database (ADR 0025): a node
 * that commits a change tells the others which entries to drop, by key.
 */
export interface NodeCaches {
  /**
   * Several nodes: after a commit, the other nodes' `onNodeInvalidate(scope)`
   * listeners drop these entries (keys only, never content; null: all of
   * them). Calls of one event-loop turn go out as one message per scope;
   * nothing with one node.
   */
  invalidateOnNodes(scope: string, ids: readonly string[] | null): void;
  /**
   * Listens for {@link invalidateOnNodes} of the other nodes; also called
   * with null whenever this node may have missed some: once its Redis
   * subscription stands, and again after Redis was lost and came back.
   */
  onNodeInvalidate(scope: string, listener: (ids: readonly string[] | null) => void): void;
}

/** The realtime gateway as modules see it. */
export interface Realtime extends NodeCaches {
  /** Registers an op (`message.send`); names are `<domain>.<verb>`. */
  registerOp<T>(op: string, handler: OpHandler<T>): void;
  /** Sets where resume reads missed events; also gives the current head. */
  setResumeSource(source: ResumeSource, head: () => Promise<number>): void;
  /**
   * Sends an event to every open, authenticated socket of these users (after
   * it is durable). `json`, if given, is `event` already serialised.
   */
  publish(userIds: Iterable<string>, event: EventFrame, json?: string): void;
  /**
   * Publishes one committed stream batch: every position in `(after, upTo]`
   * is in it or was taken by no event. With several hub nodes the batch also
   * goes to the other nodes, and each node sends batches in position order.
   */
  publishBatch(batch: StreamBatch): void;
  /**
   * Called when another node changed the membership of these conversations,
   * or with null when this node may have missed such changes (drop all).
   */
  onForeignChange(listener: (conversationIds: readonly string[] | null) => void): void;
  /**
   * Several nodes: tells the other nodes' `onNodeSignal(topic)` listeners
   * about these ids (what changed, never content); nothing with one node.
   */
  signalNodes(topic: string, ids: readonly string[]): void;
  /** Listens for {@link signalNodes} from the other nodes. */
  onNodeSignal(topic: string, listener: (ids: string[]) => void): void;
  /** How many sockets are open (authenticated), for metrics and tests. */
  connectionCount(): number;
  /** Whether the user has at least one open, authenticated socket (presence: `offline`). */
  isOnline(userId: string): boolean;
}

/** One event of a {@link StreamBatch}. */
export interface BatchEvent {
  seq: number;
  /** The event frame as JSON. */
  json: string;
  /** The users it goes to. */
  to: readonly string[];
}

/** What one committed group-commit batch published (ADR 0025). */
export interface StreamBatch {
  /** The stream head before the batch. */
  after: number;
  /** The stream head after the batch. */
  upTo: number;
  /** In position order. */
  events: readonly BatchEvent[];
  /** Conversations whose membership the batch changed. */
  forget: readonly string[];
}
