/*
 * Shared by the hub benchmarks: a real hub on a temp SQLite directory (or a
 * fresh PostgreSQL database with BENCH_POSTGRES=1) on port 0, and one line of
 * percentiles per measured series.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHub, type Hub } from '../src/hub.js';
import { SYSTEM } from '../src/platform/http/actor.js';
import { createPgDatabase } from '../test/support/databases.js';

/** Prints `label n= p50= p95= p99= max= ms` with `digits` decimals, the label padded to `pad`. */
export function printStats(label: string, ms: number[], pad: number, digits: number): void {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) =>
    s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(digits);
  console.log(
    `${label.padEnd(pad)} n=${s.length}  p50=${at(50)}  p95=${at(95)}  p99=${at(99)}  max=${s[s.length - 1]!.toFixed(digits)} ms`,
  );
}

/**
 * Starts a silent hub, prints `title` with the database kind, runs `body`,
 * then stops the hub and removes its data whatever happens.
 */
export async function withBenchHub(
  title: (dbKind: string) => string,
  body: (hub: Hub) => Promise<void>,
): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'konsilium-bench-'));
  const pg = process.env.BENCH_POSTGRES === '1' ? await createPgDatabase() : null;
  const hub = createHub({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    logLevel: 'silent',
    ...(pg ? { databaseUrl: pg.url } : {}),
  });
  await hub.start();
  console.log(title(hub.internals.db.kind));
  try {
    await body(hub);
  } finally {
    await hub.stop();
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Creates the `bench.admin` administrator, signs in over HTTP and returns the authorization header. */
export async function benchAdmin(hub: Hub, password: string): Promise<{ authorization: string }> {
  const hash = await hub.internals.credentials.hashPassword(password);
  await hub.internals.directory.createUser(
    SYSTEM,
    {
      login: 'bench.admin',
      password,
      lastName: 'Админов',
      firstName: 'Бенч',
      roles: ['admin'],
    },
    { passwordHash: hash },
  );
  const login = await fetch(`${hub.url()}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'bench.admin', password }),
  });
  const token = ((await login.json()) as { token: string }).token;
  return { authorization: `Bearer ${token}` };
}

/** An organization (Europe/Moscow) and one site in it; returns the site. */
export async function benchSite(hub: Hub, orgName: string, siteName: string) {
  const dir = hub.internals.directory;
  const org = await dir.createUnit(SYSTEM, {
    kind: 'organization',
    name: orgName,
    timeZone: 'Europe/Moscow',
  });
  return dir.createUnit(SYSTEM, { kind: 'site', name: siteName, parentId: org.id });
}
