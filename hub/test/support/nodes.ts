import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createHub, type Hub } from '../../src/hub.js';
import { Api } from './http.js';
import { TEST_HUB_BASE, logSink, startTestHub, type TestHub } from './hub.js';

/** Where the multi-node suites find Redis; `KONSILIUM_TEST_REDIS_URL` overrides. */
export const REDIS_URL = process.env.KONSILIUM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Why Redis cannot be used (null: it answers PING). */
async function probe(): Promise<string | null> {
  const c = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.ping();
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    c.disconnect();
  }
}

/**
 * Null when Redis is reachable; otherwise why not (said loudly: the
 * multi-node suites do not run). `KONSILIUM_TEST_REQUIRE_REDIS=1` makes it fatal.
 */
export const redisProblem = await probe();
if (redisProblem) {
  if (process.env.KONSILIUM_TEST_REQUIRE_REDIS === '1') {
    throw new Error(`Redis is required but unreachable at ${REDIS_URL}: ${redisProblem}`);
  }
  process.stdout.write(
    `\n*** The multi-node suites did NOT run: no Redis at ${REDIS_URL} (${redisProblem}). ***\n\n`,
  );
}

/** A second (third, …) hub node of a test. */
export interface TestNode {
  hub: Hub;
  api: Api;
  /** Every log line the node wrote, raw JSON text. */
  logs: string[];
}

/**
 * Hub nodes that share `first`'s PostgreSQL database and clock (its sessions
 * are valid on all of them), each with its own data directory.
 */
export class TestNodes {
  private readonly started: Hub[] = [];
  private readonly dirs: string[] = [];

  constructor(
    private readonly first: TestHub,
    private readonly channel: string,
  ) {}

  /** Starts a node publishing on `redisChannel` (default: the first node's). */
  async start(redisChannel = this.channel): Promise<TestNode> {
    const dataDir = mkdtempSync(join(tmpdir(), 'konsilium-node-'));
    this.dirs.push(dataDir);
    const logs: string[] = [];
    const hub = createHub(
      {
        ...TEST_HUB_BASE,
        dataDir,
        databaseUrl: this.first.hub.config.databaseUrl!,
        redisUrl: REDIS_URL,
        redisChannel,
        redisGapMs: 200,
      },
      { clock: this.first.clock, logDestination: logSink(logs) },
    );
    await hub.start();
    this.started.push(hub);
    return { hub, api: new Api(hub.url()), logs };
  }

  /** Stops every node started here and removes their data directories. */
  async stop(): Promise<void> {
    for (const h of this.started.splice(0)) await h.stop();
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }

  /** Stops the nodes started here, then the first node. */
  async stopAll(): Promise<void> {
    await this.stop();
    await this.first.close();
  }
}

/** The Redis channel of the first node's database (raw publishes and listeners in tests). */
export async function streamChannel(first: TestHub, prefix: string): Promise<string> {
  const [{ n }] = await first.hub.internals.db.manager.query<[{ n: string }]>(
    'SELECT current_database() AS n',
  );
  return `${prefix}:${n}:stream`;
}

/**
 * Asks `read` until `ok` holds, for at most `ms` (what another node hears
 * through Redis arrives a moment later than the HTTP answer of the writer).
 */
export async function eventually<T>(
  what: string,
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  ms = 5000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`${what}: not so within ${ms} ms; last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Node A of a multi-node test: a test hub on PostgreSQL publishing on a
 * channel of its own, and the {@link TestNodes} that start more nodes beside
 * it ({@link TestNodes.stopAll} stops them and A).
 */
export async function firstNode(): Promise<{ a: TestHub; nodes: TestNodes; channel: string }> {
  const channel = `konsilium-test-${randomBytes(4).toString('hex')}`;
  const a = await startTestHub('postgres', {
    redisUrl: REDIS_URL,
    redisChannel: channel,
    redisGapMs: 200,
    wsHeartbeatSeconds: 60,
  });
  return { a, nodes: new TestNodes(a, channel), channel };
}
