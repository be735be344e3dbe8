/**
 * MLLP ingest throughput of critical ORU^R01 results, end to end: a real hub
 * (SQLite, or PostgreSQL with BENCH_DATABASE_URL), several TCP connections each
 * sending its next message when the previous ACK arrives (the ACK is written
 * only after the commit). Counts the `results.critical_received` events and
 * prints msg/s and ACK latency percentiles. Goal: ≥ 500 msg/s. Stops by itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHub } from '../src/hub.js';
import { MllpDecoder, mllpFrame } from '../src/modules/results/index.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 3000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const GOAL = 500;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function oru(n: number): Buffer {
  const lines = [
    `MSH|^~\\&|LIS|BENCHLAB|KONS|HOSP|20261127101500||ORU^R01^ORU_R01|BENCH-${n}|P|2.5.1|||AL|NE||UNICODE UTF-8`,
    `PID|1||${100000 + (n % 5000)}^^^HOSP^MR~${7700000000 + n}^^^OMS^PI||Иванов^Пётр^Сергеевич||19650312|M`,
    'PV1|1|I|ICU^12^1^HOSP',
    `ORC|RE|ORD-${n}|FIL-${n}||CM||||20261127090000|||D1001^Смирнова^Анна^^^^^^HOSP`,
    `OBR|1|ORD-${n}|FIL-${n}|2823-3^Potassium^LN|||20261127093000`,
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
  const dataDir = mkdtempSync(join(tmpdir(), 'konsilium-bench-mllp-'));
  const databaseUrl = process.env.BENCH_DATABASE_URL;
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
    const latencies: number[] = [];
    let next = 0;
    let refused = 0;
    const cpu0 = process.cpuUsage();
    const started = performance.now();
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
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuMsPerMsg = (cpu.user + cpu.system) / 1000 / MESSAGES;
    latencies.sort((a, b) => a - b);
    const rate = MESSAGES / seconds;
    process.stdout.write(
      [
        `mllp ingest (${hub.internals.db.kind}, ${CONNECTIONS} connections, ${MESSAGES} critical ORU^R01)`,
        `  throughput: ${rate.toFixed(0)} msg/s (goal ≥ ${GOAL})`,
        `  ACK latency: p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
        `  critical events: ${events}, refused ACKs: ${refused}`,
        `  process CPU ${cpuMsPerMsg.toFixed(2)} ms/msg (hub and senders), machine load average ${loadavg()[0]!.toFixed(1)}`,
        `  ${rate >= GOAL && events === MESSAGES && refused === 0 ? 'OK' : 'BELOW GOAL'}`,
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
