/**
 * Critical results end to end (CTX-5, ADR 0022): a real hub (SQLite, or
 * PostgreSQL: BENCH_DATABASE_URL names a server, the run makes its own
 * database on it) with the ordering clinician in its
 * directory; several MLLP connections each send their next critical ORU^R01
 * when the previous ACK arrives (`AA` is written only after the commit). Each
 * result is routed, its laboratory message sent into a patient-bound
 * conversation and its escalation started. Prints the ingest rate, the ACK
 * latency percentiles and the end-to-end rate (first send → last alert
 * opened). Goal: ≥ 500 msg/s end to end, judged on the median of
 * BENCH_RUNS runs (3; each on a new hub and database, every run printed):
 * this machine's speed varies by ±20 % from run to run. Stops by itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createHub } from '../src/hub.js';
import { benchDatabase, pct, sendFromWorker } from './mllp-common.js';
import { SYSTEM } from '../src/platform/http/actor.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
/** Runs, each on a new hub and database; the goal is judged on their median. */
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 20) {
  process.stderr.write(
    `BENCH_RUNS must be a whole number from 1 to 20, not ${process.env.BENCH_RUNS}\n`,
  );
  process.exit(2);
}
const GOAL = 500;

interface Run {
  e2eRate: number;
  /** Every alert opened and every message acknowledged `AA`. */
  complete: boolean;
}

async function main(): Promise<void> {
  const runs: Run[] = [];
  for (let k = 1; k <= RUNS; k++) runs.push(await runOnce(k));
  const rates = runs.map((r) => r.e2eRate).sort((a, b) => a - b);
  const median = rates[Math.floor((rates.length - 1) / 2)]!;
  const ok = median >= GOAL && runs.every((r) => r.complete);
  process.stdout.write(
    [
      `end to end over ${RUNS} run(s): median ${median.toFixed(0)} msg/s (runs ${runs.map((r) => r.e2eRate.toFixed(0)).join(', ')}; goal ≥ ${GOAL})`,
      ok ? 'OK' : 'BELOW GOAL',
      '',
    ].join('\n'),
  );
}

/** One run on a new hub: prints its figures. */
async function runOnce(k: number): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), 'konsilium-bench-escmllp-'));
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
  try {
    await hub.internals.directory.createUser(SYSTEM, {
      login: 'smirnova',
      password: 'bench-password-123',
      lastName: 'Смирнова',
      firstName: 'Анна',
      roles: ['clinician'],
      externalIds: [{ system: 'HOSP', value: 'D1001' }],
    });
    const alerts = hub.internals.alerting.alerts;
    let opened = 0;
    let lastOpened = 0;
    const db = hub.internals.db;
    const countOpened = async () => {
      const rows: { n: string | number }[] = await db.manager.query(
        "SELECT count(*) AS n FROM result_alert WHERE state = 'opened'",
      );
      return Number(rows[0]!.n);
    };
    const port = hub.internals.mllpAddress()!.port;
    const cpu0 = process.cpuUsage();
    const elu0 = performance.eventLoopUtilization();
    // How long ready work (a statement's answer, a frame) waits for the loop.
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const started = performance.now();
    // Watch the alerts open while the senders run.
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        await new Promise((r) => setTimeout(r, 50));
        const n = await countOpened();
        if (n > opened) {
          opened = n;
          lastOpened = performance.now();
        }
      }
    })();
    const { latencies, refused } = await sendFromWorker(port, MESSAGES, CONNECTIONS, 'ESC');
    const ingestSeconds = (performance.now() - started) / 1000;
    const deadline = performance.now() + 120_000;
    while (opened < MESSAGES && performance.now() < deadline) {
      await alerts.idle();
      await new Promise((r) => setTimeout(r, 60));
    }
    watching = false;
    await watcher;
    opened = await countOpened();
    const e2eSeconds = ((lastOpened || performance.now()) - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    delay.disable();
    const ms = (ns: number) => (ns / 1e6).toFixed(1);
    const cpuMsPerMsg = (cpu.user + cpu.system) / 1000 / MESSAGES;
    const escalations: { n: string | number }[] = await db.manager.query(
      'SELECT count(*) AS n FROM escalation',
    );
    const ingestRate = MESSAGES / ingestSeconds;
    const e2eRate = opened / e2eSeconds;
    process.stdout.write(
      [
        `run ${k}/${RUNS}: critical ORU^R01 → alert (${db.kind}, ${CONNECTIONS} connections, ${MESSAGES} messages)`,
        `  ingest: ${ingestRate.toFixed(0)} msg/s, ACK p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
        `  end to end (first send → last alert opened): ${e2eRate.toFixed(0)} msg/s (goal ≥ ${GOAL}), ${e2eSeconds.toFixed(1)} s`,
        `  alerts opened: ${opened}/${MESSAGES}, escalations: ${Number(escalations[0]!.n)}, refused ACKs: ${refused}`,
        `  process CPU ${cpuMsPerMsg.toFixed(2)} ms/msg (hub, and senders in a worker thread); hub event loop busy ${(elu.utilization * 100).toFixed(0)} %, ${(elu.active / MESSAGES).toFixed(2)} ms/msg, delay p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms; machine load average ${loadavg()[0]!.toFixed(1)}`,
        '',
      ].join('\n'),
    );
    return { e2eRate, complete: opened === MESSAGES && refused === 0 };
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
