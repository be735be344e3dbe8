/**
 * MLLP ingest throughput of critical ORU^R01 results, end to end: a real hub
 * (SQLite, or PostgreSQL: BENCH_DATABASE_URL names a server, the run makes
 * its own database on it), several TCP connections each
 * sending its next message when the previous ACK arrives (the ACK is written
 * only after the commit). Counts the `results.critical_received` events and
 * prints msg/s and ACK latency percentiles. Goal: ≥ 500 msg/s. Stops by itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHub } from '../src/hub.js';
import { benchDatabase, pct, sendFromWorker } from './mllp-common.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 3000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const GOAL = 500;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'konsilium-bench-mllp-'));
  const database = await benchDatabase();
  const { databaseUrl } = database;
  const hub = createHub({
    port: 0,
    dataDir,
    logLevel: 'silent',
    mllpPort: 0,
    ...(databaseUrl ? { databaseUrl } : {}),
  });
  await hub.start();
  let events = 0;
  hub.internals.bus.on('results.critical_received', () => events++);
  try {
    const port = hub.internals.mllpAddress()!.port;
    const cpu0 = process.cpuUsage();
    const elu0 = performance.eventLoopUtilization();
    const started = performance.now();
    const { latencies, refused } = await sendFromWorker(port, MESSAGES, CONNECTIONS, 'BENCH');
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    const cpuMsPerMsg = (cpu.user + cpu.system) / 1000 / MESSAGES;
    const rate = MESSAGES / seconds;
    process.stdout.write(
      [
        `mllp ingest (${hub.internals.db.kind}, ${CONNECTIONS} connections, ${MESSAGES} critical ORU^R01)`,
        `  throughput: ${rate.toFixed(0)} msg/s (goal ≥ ${GOAL})`,
        `  ACK latency: p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
        `  critical events: ${events}, refused ACKs: ${refused}`,
        `  process CPU ${cpuMsPerMsg.toFixed(2)} ms/msg (hub, and senders in a worker thread); hub event loop busy ${(elu.utilization * 100).toFixed(0)} %, ${(elu.active / MESSAGES).toFixed(2)} ms/msg; machine load average ${loadavg()[0]!.toFixed(1)}`,
        `  ${rate >= GOAL && events === MESSAGES && refused === 0 ? 'OK' : 'BELOW GOAL'}`,
        '',
      ].join('\n'),
    );
  } finally {
    await hub.stop();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
