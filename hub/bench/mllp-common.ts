/**
 * What the MLLP benches share: the critical ORU^R01 a laboratory sends, and
 * senders that each send their next message when the previous ACK arrives.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { MllpDecoder, mllpFrame } from '../src/modules/results/index.js';

/**
 * The database of one bench run: with `BENCH_DATABASE_URL` (a PostgreSQL
 * server) a new empty database on that server, dropped afterwards, so runs
 * never see each other's rows; without it none (the hub's SQLite file).
 */
export async function benchDatabase(): Promise<{
  databaseUrl?: string;
  drop: () => Promise<void>;
}> {
  const server = process.env.BENCH_DATABASE_URL;
  if (!server) return { drop: () => Promise.resolve() };
  const { default: pg } = await import('pg');
  const name = `konsilium_bench_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    databaseUrl: url.toString(),
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** The p-th percentile of an ascending list. */
export function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A critical potassium result ordered by staff id D1001 (system HOSP), control id `<prefix>-<n>`. */
export function criticalOru(n: number, prefix: string): Buffer {
  const lines = [
    `MSH|^~\\&|LIS|BENCHLAB|KONS|HOSP|20261127101500||ORU^R01^ORU_R01|${prefix}-${n}|P|2.5.1|||AL|NE||UNICODE UTF-8`,
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

/**
 * `messages` critical results over `connections` MLLP connections, each waiting
 * for its ACK before the next; ACK latencies in ms (ascending) and how many
 * were not `AA`.
 */
export async function sendCriticalResults(
  port: number,
  messages: number,
  connections: number,
  prefix: string,
): Promise<{ latencies: number[]; refused: number }> {
  const latencies: number[] = [];
  let next = 0;
  let refused = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const socket = await open(port);
      const decoder = new MllpDecoder(1 << 20);
      let waiting: ((ack: Buffer) => void) | null = null;
      socket.on('data', (chunk: Buffer) => {
        for (const f of decoder.push(chunk).frames) waiting?.(f);
      });
      while (next < messages) {
        const n = next++;
        const t0 = performance.now();
        const ack = await new Promise<Buffer>((resolve) => {
          waiting = resolve;
          socket.write(criticalOru(n, prefix));
        });
        latencies.push(performance.now() - t0);
        if (!ack.toString('utf8').includes('\rMSA|AA|')) refused++;
      }
      socket.destroy();
    }),
  );
  latencies.sort((a, b) => a - b);
  return { latencies, refused };
}

/**
 * {@link sendCriticalResults} from a worker thread: the laboratory is another
 * system, so building its messages and reading its ACKs must not take the
 * hub's event loop (which a bench measures) in the same process.
 */
export function sendFromWorker(
  port: number,
  messages: number,
  connections: number,
  prefix: string,
): Promise<{ latencies: number[]; refused: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { mllpSender: { port, messages, connections, prefix } },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`sender worker exited with ${code}`));
    });
  });
}

const job = (workerData as { mllpSender?: SenderJob } | null)?.mllpSender;
if (!isMainThread && job) {
  void sendCriticalResults(job.port, job.messages, job.connections, job.prefix).then((r) =>
    parentPort!.postMessage(r),
  );
}

interface SenderJob {
  port: number;
  messages: number;
  connections: number;
  prefix: string;
}
