/*
 * `npm run bench:messaging`: a real hub in its own process (SQLite in a temp
 * dir, `synchronous=FULL`; `BENCH_POSTGRES=1` for a fresh PostgreSQL database),
 * 1,000 users signed in through the SDK (`HubClient` + `ws`), all connected.
 * Measures hub memory per 1,000 idle connections, then open-loop 1:1 messages
 * at fixed offered rates and group fan-out to 50 and 200 members at rising
 * rates: end-to-end latency (planned send → recipient's `message.created`),
 * achieved throughput, hub CPU and RSS. Prints a table and one line per goal
 * (issue 3). Exits 0 whatever the numbers; 1 on an error.
 *
 * Knobs: BENCH_USERS (1000), BENCH_SECONDS per run (5), BENCH_RATES (1:1
 * msg/s, "200,500,1000,2000"), BENCH_FANOUT (offered deliveries/s,
 * "10000,20000,41000,60000"), BENCH_GROUPS ("50,200"), BENCH_CPU_PROF=1
 * (profile the hub during each series and print a summary).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { HubClient } from '@konsilium/shared';
import { BENCH_PASSWORD, MB, fmt, pct, sleep, table } from './messaging-common.js';
import { Receiver, type RunResult, type RunSpec } from './messaging-load.js';
import { HubProcess } from './messaging-process.js';
import { summariseProfile } from './messaging-profile.js';

const list = (v: string | undefined, d: string) =>
  (v ?? d)
    .split(',')
    .filter((x) => x.trim() !== '')
    .map(Number);
const USERS = Number(process.env.BENCH_USERS ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RATES = list(process.env.BENCH_RATES, '200,500,1000,2000');
const FANOUT = list(process.env.BENCH_FANOUT, '10000,20000,41000,60000');
const GROUPS = list(process.env.BENCH_GROUPS, '50,200');
const PROFILE = process.env.BENCH_CPU_PROF === '1';
const LOGIN_CONCURRENCY = 16;
const CONNECT_CONCURRENCY = 50;

/** Runs `work(i)` for i in [0, n) with at most `limit` at a time. */
async function pool(n: number, limit: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, limit) }, async () => {
      while (next < n) await work(next++);
    }),
  );
}

const secondsSince = (t: number) => ((performance.now() - t) / 1000).toFixed(1);

function row(r: RunResult): string[] {
  const fan = r.spec.series === 'fan-out';
  const notes = [
    r.stoppedEarly
      ? `STOPPED: >5 s behind after ${r.sent}/${Math.round(r.spec.rate * r.spec.seconds)} sends`
      : r.saturated
        ? 'saturated'
        : '',
    r.undelivered ? `${r.undelivered} undelivered` : '',
    r.errors ? `${r.errors} send errors` : '',
  ].filter(Boolean);
  return [
    r.spec.label,
    r.startedAt.toFixed(0),
    fmt(r.spec.rate),
    fan ? fmt(r.offeredDeliveries) : '',
    fmt(fan ? r.achievedDeliveries : r.achievedMsgs),
    ...[50, 95, 99].map((p) => fmt(pct(r.last, p))),
    fmt(r.last[r.last.length - 1] ?? NaN),
    fan ? `${fmt(pct(r.first, 50))}/${fmt(pct(r.first, 99))}` : '',
    fmt(pct(r.ack, 99)),
    fmt(r.hubCpu),
    fmt(r.hubMicrosPerMsg),
    `${fmt(r.hubRssMb)}/${fmt(r.hubPeakRssMb)}`,
    fmt(r.genCpu),
    notes.join('; '),
  ];
}

async function main(): Promise<void> {
  const started = performance.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'konsilium-bench-msg-'));
  let pg: { url: string; drop: () => Promise<void> } | null = null;
  let hub: HubProcess | null = null;
  const clients: HubClient[] = [];
  const onSignal = () => {
    hub?.kill();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (process.env.BENCH_POSTGRES === '1') {
      // Imported only here: the module probes the server when loaded.
      const { createPgDatabase } = await import('../test/support/databases.js');
      pg = await createPgDatabase();
    }
    hub = new HubProcess({
      BENCH_USERS: String(USERS),
      BENCH_DATA_DIR: dataDir,
      ...(pg ? { BENCH_DATABASE_URL: pg.url } : {}),
    });
    const ready = await hub.ready();
    const h = hub;
    console.log(
      `messaging bench: hub pid ${h.pid} on ${ready.database} (${ready.url}); ${USERS} users seeded in ${ready.seedSeconds.toFixed(1)} s`,
    );

    // Sign in (argon2 at the shipped cost, 16 at a time; not measured here).
    let t = performance.now();
    const userIds: string[] = [];
    for (let i = 0; i < USERS; i++) {
      clients.push(
        new HubClient({
          baseUrl: ready.url,
          WebSocket,
          reconnect: { minMs: 200, maxMs: 2000 },
          callTimeoutMs: 30_000,
        }),
      );
    }
    await pool(USERS, LOGIN_CONCURRENCY, async (i) => {
      userIds[i] = (await clients[i]!.login(ready.logins[i]!, BENCH_PASSWORD)).user.id;
    });
    console.log(`${USERS} sign-ins in ${secondsSince(t)} s`);
    const signedIn = performance.now();

    // Idle connections: hub memory before and after, each after a forced GC.
    // The sign-ins' argon2 buffers leave the allocator's heap settling for a while: wait for a stable baseline.
    let idle0 = await h.stats(true);
    for (let i = 0; i < 20; i++) {
      await sleep(500);
      const again = await h.stats(true);
      const settled = Math.abs(again.rss - idle0.rss) < 0.25 * MB;
      idle0 = again;
      if (settled) break;
    }
    t = performance.now();
    await pool(USERS, CONNECT_CONCURRENCY, async (i) => void (await clients[i]!.connect()));
    const connectSeconds = secondsSince(t);
    await sleep(1000);
    const idle1 = await h.stats(true);
    const perThousand = ((idle1.rss - idle0.rss) / MB) * (1000 / USERS);
    const heapPerThousand =
      ((idle1.heapUsed + idle1.external - idle0.heapUsed - idle0.external) / MB) * (1000 / USERS);
    console.log(
      `${idle1.connections} sockets connected in ${connectSeconds} s; hub RSS ${fmt(idle0.rss / MB)} → ${fmt(idle1.rss / MB)} MB ` +
        `= ${perThousand.toFixed(1)} MB per 1,000 idle connections (JS heap + external: ${heapPerThousand.toFixed(1)} MB)`,
    );

    // Conversations: pairs (2p, 2p+1) for 1:1, and one group per size from client 0.
    t = performance.now();
    const pairs = Math.floor(USERS / 2);
    const direct: string[] = [];
    await pool(pairs, LOGIN_CONCURRENCY, async (p) => {
      const c = await clients[2 * p]!.request<{ id: string }>('POST', '/api/v1/conversations', {
        kind: 'direct',
        memberIds: [userIds[2 * p + 1]],
      });
      direct[p] = c.id;
    });
    const groups = new Map<number, string>();
    for (const size of GROUPS) {
      const c = await clients[0]!.request<{ id: string }>('POST', '/api/v1/conversations', {
        kind: 'group',
        title: `Бенч ${size}`,
        memberIds: userIds.slice(1, size),
      });
      groups.set(size, c.id);
    }
    console.log(
      `${pairs} direct conversations and groups of ${GROUPS.join(', ')} in ${secondsSince(t)} s`,
    );
    await sleep(500);

    const receiver = new Receiver(clients, signedIn);
    const stats = () => h.stats(false);
    const oneToOne = (rate: number, seconds: number, label: string): RunSpec => ({
      label,
      series: '1:1',
      members: 2,
      rate,
      seconds,
      // Message k goes through pair k mod P, alternating direction.
      route: (k) => {
        const p = k % pairs;
        return {
          sender: 2 * p + (Math.floor(k / pairs) % 2),
          conversationId: direct[p]!,
          recipients: 1,
        };
      },
    });
    await receiver.run(oneToOne(500, 2, 'warm-up'), clients, stats);

    const results: RunResult[] = [];
    const series = async (name: string, specs: RunSpec[]) => {
      if (PROFILE) await h.profile(null);
      for (const spec of specs) {
        const r = await receiver.run(spec, clients, stats);
        results.push(r);
        console.log(row(r).filter(Boolean).join('  '));
        if (r.stoppedEarly) {
          console.log(`  ${name}: over 5 s behind at ${spec.rate} msg/s; higher rates skipped`);
          break;
        }
      }
      if (PROFILE) {
        const file = join(tmpdir(), `konsilium-bench-${name}-${Date.now()}.cpuprofile`);
        await h.profile(file);
        profiles.push(...summariseProfile(file), '');
      }
    };
    const profiles: string[] = [];
    await series(
      '1to1',
      RATES.map((r) => oneToOne(r, SECONDS, `1:1 ${r}/s`)),
    );
    for (const size of GROUPS) {
      const id = groups.get(size)!;
      await series(
        `group${size}`,
        FANOUT.map((d) => {
          const rate = Math.ceil(d / (size - 1));
          return {
            label: `group ${size} ${rate}/s`,
            series: 'fan-out',
            members: size,
            rate,
            seconds: SECONDS,
            // Senders rotate through the members, so no socket holds many sends in flight.
            route: (k) => ({ sender: k % size, conversationId: id, recipients: size - 1 }),
          } satisfies RunSpec;
        }),
      );
    }
    const end = await h.stats(true);

    console.log(
      '\nmessaging bench results (latency ms from planned send to the recipient event; fan-out: to the LAST recipient)',
    );
    console.log(
      table(
        [
          'run',
          'at s',
          'msg/s',
          'deliv/s offered',
          'achieved',
          'p50',
          'p95',
          'p99',
          'max',
          'first p50/p99',
          'ack p99',
          'hub CPU%',
          'hub µs/msg',
          'hub RSS/peak MB',
          'gen CPU%',
          'notes',
        ],
        results.map(row),
      ),
    );
    console.log(
      `'at s' = run start in seconds after the sign-ins ended; hub after the runs (GC): RSS ${fmt(end.rss / MB)} MB, heap ${fmt(end.heapUsed / MB)} MB, ${end.connections} sockets; ` +
        `CPU % is of one core over the sending window; hub µs/msg = hub CPU time from the first send to the end of the drain / messages sent; achieved = deliveries / (first planned send → last delivery); ` +
        `fan-out deliveries exclude the sender's own copy`,
    );
    if (profiles.length) console.log(`\n${profiles.join('\n')}`);

    const ok = (r: RunResult) => !r.saturated && r.errors === 0;
    const one = results.find((r) => r.spec.series === '1:1' && r.spec.rate === 2000);
    const oneOk = !!one && ok(one) && one.achievedMsgs >= 1960 && pct(one.last, 99) <= 50;
    console.log(
      `goal 1:1 2000 msg/s p99<=50ms: ${one ? (oneOk ? 'PASS' : 'FAIL') : 'NOT RUN'} (${
        one
          ? `achieved ${fmt(one.achievedMsgs)} msg/s, p99 ${pct(one.last, 99) === Infinity ? 'n/a (undelivered)' : `${fmt(pct(one.last, 99))} ms`}${one.saturated ? ', saturated' : ''}`
          : 'no 2000 msg/s run in BENCH_RATES'
      })`,
    );
    const fanDetails = GROUPS.map((size) => {
      const runs = results.filter((r) => r.spec.series === 'fan-out' && r.spec.members === size);
      const best = runs
        .filter((r) => ok(r) && pct(r.last, 99) <= 100)
        .sort((a, b) => b.achievedDeliveries - a.achievedDeliveries)[0];
      const pass = !!best && best.achievedDeliveries >= 40_000;
      return {
        pass,
        text: best
          ? `${size} members: best ${fmt(best.achievedDeliveries)} deliveries/s at p99 ${fmt(pct(best.last, 99))} ms`
          : `${size} members: no run within p99 100 ms`,
      };
    });
    console.log(
      fanDetails.length === 0 || FANOUT.length === 0
        ? 'goal fan-out >= 40000 deliveries/s p99<=100ms: NOT RUN (BENCH_FANOUT or BENCH_GROUPS empty)'
        : `goal fan-out >= 40000 deliveries/s p99<=100ms: ${fanDetails.every((d) => d.pass) ? 'PASS' : 'FAIL'} (${fanDetails.map((d) => d.text).join('; ')})`,
    );
    console.log(
      `goal <= 20 MB per 1000 idle connections: ${perThousand <= 20 ? 'PASS' : 'FAIL'} (${perThousand.toFixed(1)} MB RSS per 1,000)`,
    );
    console.log(`total ${secondsSince(started)} s`);
  } finally {
    for (const c of clients) c.close();
    await hub?.stop();
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
