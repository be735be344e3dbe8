import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../log/logger.js';
import type { StreamBatch } from './realtime.types.js';

const Position = z.number().int().min(0);

/** The most ids one invalidation names; more go out as "drop everything" (null). */
export const MAX_INVALIDATION_IDS = 10_000;
/** The longest key an invalidation carries (ids are UUIDs). */
export const MAX_INVALIDATION_ID_LENGTH = 128;

/** A node-local cache's name on the wire (`rosters`, `directory.staff`). */
export const CacheScope = z.string().regex(/^[a-z][a-z0-9._-]{0,63}$/);

/** What travels between nodes (validated: Redis is outside input). */
const Wire = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('batch'),
    node: z.string().max(64),
    after: Position,
    upTo: Position,
    events: z.array(z.object({ seq: Position, json: z.string(), to: z.array(z.string().max(64)) })),
    forget: z.array(z.string().max(64)),
  }),
  z.object({
    t: z.literal('sessions'),
    node: z.string().max(64),
    ids: z.array(z.string().max(128)),
  }),
  z.object({
    t: z.literal('signal'),
    node: z.string().max(64),
    topic: z.string().max(64),
    ids: z.array(z.string().max(128)).max(10000),
  }),
  z.object({
    t: z.literal('invalidate'),
    node: z.string().max(64),
    scope: CacheScope,
    /** Keys of the changed entries (ids, never content); null: the whole cache. */
    ids: z
      .array(z.string().min(1).max(MAX_INVALIDATION_ID_LENGTH))
      .max(MAX_INVALIDATION_IDS)
      .nullable(),
  }),
]);

/** What a node does with what the other nodes send. */
export interface FanoutHandlers {
  batch(batch: StreamBatch): void;
  sessionsEnded(ids: string[]): void;
  signal(topic: string, ids: string[]): void;
  /** Entries of a node-local cache another node changed (null: all of them). */
  invalidate(scope: string, ids: string[] | null): void;
  /** The subscription was lost and is back: messages of the outage are gone. */
  resubscribed(): void;
}

/** Where the link's log lines say it connects, without credentials. */
function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return 'redis';
  }
}

/**
 * Redis pub/sub between the hub nodes of one installation (ADR 0025): every
 * committed stream batch, every ended session and every change to a
 * node-local cache is published on one channel that all nodes subscribe to.
 * Pub/sub loses what is sent while a subscriber is disconnected; the
 * receiving side detects that (a gap in the stream positions, or a
 * resubscription) and reads the database instead.
 */
export class RedisFanout {
  /** This process's id on the channel: a node ignores its own messages. */
  readonly node = randomUUID();
  private pub: Redis | null = null;
  private sub: Redis | null = null;
  private channel = '';
  /** Scopes whose invalidation could not be published: sent as "drop all" once Redis takes it. */
  private readonly unsent = new Set<string>();

  constructor(
    private readonly url: string,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  /** Connects and subscribes; fails if Redis cannot be reached. `scope` names the database. */
  async start(scope: string, handlers: FanoutHandlers): Promise<void> {
    this.channel = `${this.prefix}:${scope}:stream`;
    // Named so `CLIENT LIST` shows which connections are hub nodes. The
    // subscriber subscribes again itself after a reconnect, so that the
    // catch-up starts only once Redis confirmed the subscription.
    const options = { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 5000 };
    const pub = new Redis(this.url, { ...options, connectionName: `${this.prefix}:pub` });
    const sub = new Redis(this.url, {
      ...options,
      connectionName: `${this.prefix}:sub`,
      autoResubscribe: false,
    });
    this.pub = pub;
    this.sub = sub;
    const where = redactedUrl(this.url);
    for (const c of [pub, sub]) {
      c.on('error', (err: Error) =>
        this.log.warn({ err: err.message, redis: where }, 'fanout: redis error'),
      );
    }
    sub.on('message', (channel: string, text: string) => {
      if (channel !== this.channel) return;
      this.receive(text, handlers);
    });
    let subscribed = false;
    sub.on('ready', () => {
      if (!subscribed) return;
      sub.subscribe(this.channel).then(
        () => {
          this.log.warn({ redis: where }, 'fanout: resubscribed after a lost connection');
          handlers.resubscribed();
        },
        // The connection went again; its next 'ready' subscribes again.
        (err: Error) => this.log.warn({ err: err.message }, 'fanout: resubscribe failed'),
      );
    });
    pub.on('ready', () => this.resendUnsent());
    await pub.connect();
    await sub.connect();
    await sub.subscribe(this.channel);
    subscribed = true;
    this.log.info({ redis: where, node: this.node }, 'fanout: connected');
  }

  publishBatch(batch: StreamBatch): void {
    this.send({ t: 'batch', node: this.node, ...batch });
  }

  publishSessionsEnded(ids: readonly string[]): void {
    this.send({ t: 'sessions', node: this.node, ids });
  }

  publishSignal(topic: string, ids: readonly string[]): void {
    this.send({ t: 'signal', node: this.node, topic, ids });
  }

  /**
   * Other nodes drop these entries of `scope` (null: all). One that cannot be
   * published is sent again as "drop all" when Redis takes messages again.
   */
  publishInvalidation(scope: string, ids: readonly string[] | null): void {
    this.resendUnsent();
    const list = ids && ids.length <= MAX_INVALIDATION_IDS ? ids : null;
    this.send({ t: 'invalidate', node: this.node, scope, ids: list }, () => this.unsent.add(scope));
  }

  private resendUnsent(): void {
    for (const scope of [...this.unsent]) {
      this.unsent.delete(scope);
      this.send({ t: 'invalidate', node: this.node, scope, ids: null }, () =>
        this.unsent.add(scope),
      );
    }
  }

  async stop(): Promise<void> {
    const conns = [this.sub, this.pub].filter((c): c is Redis => c !== null);
    this.sub = null;
    this.pub = null;
    await Promise.all(conns.map((c) => c.quit().catch(() => c.disconnect())));
  }

  private send(message: object, failed?: () => void): void {
    const pub = this.pub;
    if (!pub) return;
    pub.publish(this.channel, JSON.stringify(message)).catch((err: Error) => {
      // The other nodes find a missing stream range by its gap and read the
      // database; a lost invalidation is sent again as "drop all" (`failed`).
      this.log.warn({ err: err.message }, 'fanout: publish failed');
      failed?.();
    });
  }

  private receive(text: string, handlers: FanoutHandlers): void {
    let parsed: z.infer<typeof Wire>;
    try {
      const r = Wire.safeParse(JSON.parse(text));
      if (!r.success) throw new Error(r.error.issues[0]?.message ?? 'invalid');
      parsed = r.data;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'fanout: malformed message ignored');
      return;
    }
    if (parsed.node === this.node) return;
    if (parsed.t === 'sessions') handlers.sessionsEnded(parsed.ids);
    else if (parsed.t === 'signal') handlers.signal(parsed.topic, parsed.ids);
    else if (parsed.t === 'invalidate') handlers.invalidate(parsed.scope, parsed.ids);
    else handlers.batch(parsed);
  }
}
