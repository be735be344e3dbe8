/**
 * `npm run test:crash`: senders keep sending while the hub process is killed
 * with SIGKILL at random moments (KILLS times, default 20) and restarted.
 * Afterwards every message the hub acknowledged must be stored exactly once,
 * the audit chain must verify, and a realtime client that stayed "connected"
 * through every crash (reconnecting and resuming from its last seq) must have
 * received every stored message exactly once, in order. Prints the counts;
 * exits 1 on any loss, duplicate or gap.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { HubClient } from '@konsilium/shared';
import { runAuditVerify } from '../../src/cli/audit-verify.js';

const KILLS = Number(process.env.KILLS ?? 20);
const SENDERS = 4;
const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'main.js');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class HubProcess {
  child: ChildProcess | null = null;
  constructor(
    private readonly env: Record<string, string>,
    readonly url: string,
  ) {}

  async start(): Promise<void> {
    this.child = spawn(process.execPath, [MAIN, '--demo'], {
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (let i = 0; i < 400; i++) {
      try {
        if ((await fetch(`${this.url}/readyz`)).status === 200) return;
      } catch {
        /* not up yet */
      }
      await sleep(25);
    }
    throw new Error('hub did not become ready');
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

async function api(
  url: string,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
) {
  const res = await fetch(url + path, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'konsilium-crash-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const hub = new HubProcess(
    {
      KONSILIUM_PORT: String(port),
      KONSILIUM_DATA_DIR: dataDir,
      KONSILIUM_LOG_LEVEL: 'error',
      // The demo's MLLP port may be taken on a shared machine; any free one will do.
      KONSILIUM_MLLP_PORT: '0',
    },
    url,
  );
  await hub.start();
  const login = async (name: string) =>
    (
      await api(url, 'POST', '/api/v1/auth/login', null, {
        login: name,
        password: 'konsilium-demo',
      })
    ).body.token as string;
  const sender = await login('petrov');
  const receiver = await login('ivanova');
  const me = (await api(url, 'GET', '/api/v1/me', receiver)).body.id as string;
  const conv = (
    await api(url, 'POST', '/api/v1/conversations', sender, { kind: 'direct', memberIds: [me] })
  ).body.id as string;

  // A client that stays "connected" through every crash: it reconnects and resumes.
  const watcher = new HubClient({ baseUrl: url, WebSocket, reconnect: { minMs: 20, maxMs: 200 } });
  watcher.useToken(receiver);
  const received: { seq: number; id: string }[] = [];
  watcher.on('message.created', (data, frame) => {
    if (data.conversationId === conv) received.push({ seq: frame.seq, id: data.id });
  });
  await watcher.connect();

  const acked = new Map<string, number>();
  let attempts = 0;
  let stop = false;
  const senders = Array.from({ length: SENDERS }, async (_, s) => {
    let n = 0;
    while (!stop) {
      const id = randomUUID();
      const text = `crash ${s}-${n++}`;
      // Like the SDK outbox: retry the same id until the hub acknowledges it.
      for (;;) {
        attempts++;
        try {
          const r = await api(url, 'POST', `/api/v1/conversations/${conv}/messages`, sender, {
            id,
            text,
          });
          if (r.status === 201 || r.status === 200) {
            acked.set(id, (acked.get(id) ?? 0) + 1);
            break;
          }
          throw new Error(`status ${r.status}`);
        } catch {
          await sleep(20);
        }
      }
    }
  });

  for (let k = 0; k < KILLS; k++) {
    await sleep(150 + Math.random() * 500);
    await hub.kill();
    await hub.start();
  }
  await sleep(300);
  stop = true;
  await Promise.all(senders);

  const stored = new Map<string, number>();
  let order: number[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await api(
      url,
      'GET',
      `/api/v1/conversations/${conv}/messages?limit=200${before ? `&before=${before}` : ''}`,
      receiver,
    );
    for (const m of page.body.items) {
      stored.set(m.id, (stored.get(m.id) ?? 0) + 1);
      order.push(m.seq);
    }
    if (!page.body.next) break;
    before = page.body.next;
  }
  order = order.sort((a, b) => a - b);
  const lost = [...acked.keys()].filter((id) => !stored.has(id)).length;
  const duplicates = [...stored.values()].filter((n) => n > 1).length;
  // Give the watcher time to catch up after the last restart, then compare.
  for (let i = 0; i < 100 && new Set(received.map((r) => r.id)).size < stored.size; i++)
    await sleep(50);
  watcher.close();
  const receivedIds = received.map((r) => r.id);
  const gaps = [...stored.keys()].filter((id) => !receivedIds.includes(id)).length;
  const twice = receivedIds.length - new Set(receivedIds).size;
  const inOrder = received.every((r, i) => i === 0 || received[i - 1]!.seq < r.seq);
  await hub.kill();
  const audit = await runAuditVerify(['--data-dir', dataDir]);
  process.stdout.write(
    `crash test: ${KILLS} SIGKILLs, ${attempts} send attempts, ${acked.size} messages acknowledged, ` +
      `${stored.size} stored, lost ${lost}, duplicates ${duplicates}; ` +
      `resuming client: ${received.length} received, missing ${gaps}, twice ${twice}, in order ${inOrder}; ` +
      `audit: ${audit.out}\n`,
  );
  rmSync(dataDir, { recursive: true, force: true });
  const ok =
    lost === 0 &&
    duplicates === 0 &&
    gaps === 0 &&
    twice === 0 &&
    inOrder &&
    audit.code === 0 &&
    acked.size > 0;
  process.stdout.write(`${ok ? 1 : 0} passed, ${ok ? 0 : 1} failed\n`);
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
