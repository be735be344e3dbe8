/**
 * Login throughput at the configured argon2id cost (default m=19 MiB, t=2,
 * p=1, as the hub ships): a real hub on SQLite, N accounts, concurrent
 * sign-ins over HTTP. Prints logins/s and latency percentiles. Stops by itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHub } from '../src/hub.js';
import { loadConfig } from '../src/config/index.js';
import { SYSTEM } from '../src/platform/http/actor.js';

const ACCOUNTS = 20;
const LOGINS = Number(process.env.BENCH_LOGINS ?? 200);
const CONCURRENCY = 8;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const defaults = loadConfig({});
  const dataDir = mkdtempSync(join(tmpdir(), 'konsilium-bench-login-'));
  const hub = createHub({
    port: 0,
    dataDir,
    logLevel: 'silent',
    loginMaxFailuresPerAddress: 100000,
    argon2MemoryKib: defaults.argon2MemoryKib,
    argon2TimeCost: defaults.argon2TimeCost,
  });
  await hub.start();
  try {
    const password = 'bench-password-123';
    const hash = await hub.internals.credentials.hashPassword(password);
    for (let i = 0; i < ACCOUNTS; i++) {
      await hub.internals.directory.createUser(
        SYSTEM,
        { login: `bench${i}`, password, lastName: 'Тестов', firstName: 'Тест' },
        { passwordHash: hash },
      );
    }
    const url = `${hub.url()}/api/v1/auth/login`;
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < LOGINS) {
          const i = next++;
          const t0 = performance.now();
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ login: `bench${i % ACCOUNTS}`, password }),
          });
          await res.text();
          if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const hashT0 = performance.now();
    await hub.internals.credentials.hashPassword(password);
    const oneHash = performance.now() - hashT0;
    process.stdout.write(
      `login: argon2id m=${defaults.argon2MemoryKib} KiB t=${defaults.argon2TimeCost} p=1 (one hash ${oneHash.toFixed(1)} ms); ` +
        `${LOGINS} logins, concurrency ${CONCURRENCY}: ${(LOGINS / seconds).toFixed(1)} logins/s, ` +
        `p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms\n`,
    );
  } finally {
    await hub.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
