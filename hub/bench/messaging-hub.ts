/**
 * The hub of `npm run bench:messaging`, in its own process (forked by
 * messaging.bench.ts with `--expose-gc`), so its CPU and memory are measured
 * apart from the load generator. Seeds BENCH_USERS accounts sharing one
 * argon2 hash, then answers `stats` requests over IPC with its own
 * `process.cpuUsage()` and memory (after a forced GC when asked). Stops on
 * `stop` or when the parent goes away.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { createHub, type Hub } from '../src/hub.js';
import { SYSTEM } from '../src/platform/http/actor.js';
import {
  BENCH_PASSWORD,
  type HubReport,
  type HubRequest,
  type HubStats,
} from './messaging-common.js';

const send = (m: HubReport) => process.send?.(m);

function stats(hub: Hub, gc: boolean): HubStats {
  if (gc) {
    const g = (globalThis as { gc?: () => void }).gc;
    g?.();
    g?.();
  }
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return {
    cpuMicros: cpu.user + cpu.system,
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    external: mem.external,
    connections: hub.internals.realtime.connectionCount(),
  };
}

let session: Session | null = null;

/** Starts the V8 CPU profiler (`file` null) or stops it and writes the profile to `file`. */
async function profile(file: string | null): Promise<void> {
  if (file === null) {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
    return;
  }
  if (!session) return;
  const { profile: result } = await session.post('Profiler.stop');
  writeFileSync(file, JSON.stringify(result));
  session.disconnect();
  session = null;
}

async function main(): Promise<void> {
  const users = Number(process.env.BENCH_USERS ?? 1000);
  const dataDir = process.env.BENCH_DATA_DIR;
  if (!dataDir) throw new Error('BENCH_DATA_DIR is not set');
  const databaseUrl = process.env.BENCH_DATABASE_URL;
  const hub = createHub({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    logLevel: 'warn',
    // Every bench client signs in from 127.0.0.1.
    loginMaxFailuresPerAddress: 100_000,
    ...(databaseUrl ? { databaseUrl } : {}),
  });
  await hub.start();
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    // Sockets first (fast), then the database.
    await hub.stop().catch(() => undefined);
    process.exit(code);
  };
  process.on('disconnect', () => void stop(0));
  process.on('message', (raw) => {
    const m = raw as HubRequest;
    if (m.type === 'stop') void stop(0);
    else if (m.type === 'stats') send({ type: 'stats', id: m.id, stats: stats(hub, m.gc) });
    else if (m.type === 'profile')
      void profile(m.file).then(
        () => send({ type: 'profiled', id: m.id }),
        (err: unknown) => send({ type: 'error', message: String(err) }),
      );
  });

  const t0 = performance.now();
  const hash = await hub.internals.credentials.hashPassword(BENCH_PASSWORD);
  const logins: string[] = [];
  for (let i = 0; i < users; i++) {
    const login = `bench${String(i).padStart(4, '0')}`;
    await hub.internals.directory.createUser(
      SYSTEM,
      { login, password: BENCH_PASSWORD, lastName: 'Нагрузкин', firstName: `Тест${i}` },
      { passwordHash: hash },
    );
    logins.push(login);
  }
  send({
    type: 'ready',
    url: hub.url(),
    database: hub.internals.db.kind,
    logins,
    seedSeconds: (performance.now() - t0) / 1000,
  });
}

main().catch((err: unknown) => {
  send({ type: 'error', message: (err as Error).stack ?? String(err) });
  process.exit(1);
});
