/**
 * Critical results end to end (CTX-5, ADR 0022): a real hub (SQLite, or
 * PostgreSQL with BENCH_DATABASE_URL) with the ordering clinician in its
 * directory; several MLLP connections each send their next critical ORU^R01
 * when the previous ACK arrives (`AA` is written only after the commit). Each
 * result is routed, its laboratory message sent into a patient-bound
 * conversation and its escalation started. Prints the ingest rate, the ACK
 * latency percentiles and the end-to-end rate (first send → last alert
 * opened). Goal: ≥ 500 msg/s end to end. Stops by itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHub } from '../src/hub.js';
import { MllpDecoder, mllpFrame } from '../src/modules/results/index.js';
import { SYSTEM } from '../src/platform/http/actor.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const GOAL = 500;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function oru(n: number): Buffer {
  const lines = [
    `MSH|^~\\&|LIS|BENCHLAB|KONS|HOSP|20261127101500||ORU^R01^ORU_R01|ESC-${n}|P|2.5.1|||AL|NE||UNICODE UTF-8`,
    `PID|1||${100000 + (n % 5000)}^^^HOSP^MR~${7700000000 + n}^^^OMS^PI||Иванов^Пётр^Сергеевич||19650312|M`,
    'PV1|1|I|ICU^12^1^HOSP',
    `ORC|RE|ORD-${n}|FIL-${n}||CM||||20261127090000|||D1001^Смирнова^Анна^^^^^^HOSP`,
    `OBR|1|ORD-${n}|FIL-${n}|2823-3^Potassium^LN|||20261127093000|||||||||D1001^Смирнова^Анна^^^^^^HOSP`,
    'OBX|1|NM|2823-3^Калий^LN||6.9|mmol/L|3.5-5.1|HH|||F|||20261127100500',
    'OBX|2|NM|2951-2^Натрий^LN||139|mmol/L|136-145|N|||F|||20261127100500',
  ];
  return mllpFrame(Buffer.from(lines.join('\r') + '\r', 'utf8'));
}

async function open(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  s.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  return s;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'konsilium-bench-escmllp-'));
  const databaseUrl = process.env.BENCH_DATABASE_URL;
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
    const latencies: number[] = [];
    let next = 0;
    let refused = 0;
    const cpu0 = process.cpuUsage();
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
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        const socket = await open(port);
        const decoder = new MllpDecoder(1 << 20);
        let waiting: ((ack: Buffer) => void) | null = null;
        socket.on('data', (chunk: Buffer) => {
          for (const f of decoder.push(chunk).frames) waiting?.(f);
        });
        while (next < MESSAGES) {
          const n = next++;
          const t0 = performance.now();
          const ack = await new Promise<Buffer>((resolve) => {
            waiting = resolve;
            socket.write(oru(n));
          });
          latencies.push(performance.now() - t0);
          if (!ack.toString('utf8').includes('\rMSA|AA|')) refused++;
        }
        socket.destroy();
      }),
    );
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
    const cpuMsPerMsg = (cpu.user + cpu.system) / 1000 / MESSAGES;
    const escalations: { n: string | number }[] = await db.manager.query(
      'SELECT count(*) AS n FROM escalation',
    );
    latencies.sort((a, b) => a - b);
    const ingestRate = MESSAGES / ingestSeconds;
    const e2eRate = opened / e2eSeconds;
    process.stdout.write(
      [
        `critical ORU^R01 → alert (${db.kind}, ${CONNECTIONS} connections, ${MESSAGES} messages)`,
        `  ingest: ${ingestRate.toFixed(0)} msg/s, ACK p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
        `  end to end (first send → last alert opened): ${e2eRate.toFixed(0)} msg/s (goal ≥ ${GOAL}), ${e2eSeconds.toFixed(1)} s`,
        `  alerts opened: ${opened}/${MESSAGES}, escalations: ${Number(escalations[0]!.n)}, refused ACKs: ${refused}`,
        `  process CPU ${cpuMsPerMsg.toFixed(2)} ms/msg (hub and senders), machine load average ${loadavg()[0]!.toFixed(1)}`,
        `  ${e2eRate >= GOAL && opened === MESSAGES && refused === 0 ? 'OK' : 'BELOW GOAL'}`,
        '',
      ].join('\n'),
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
