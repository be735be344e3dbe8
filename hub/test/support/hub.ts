import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { CreateUserRequest, Role } from '@konsilium/shared';
import { createHub, type Hub } from '../../src/hub.js';
import type { HubConfigInput } from '../../src/config/index.js';
import { SYSTEM } from '../../src/platform/http/actor.js';
import { FakeClock } from './clock.js';
import { createPgDatabase, type DbKind } from './databases.js';
import { Api } from './http.js';

export const TEST_PASSWORD = 'correct-horse-battery';

export interface TestHub {
  hub: Hub;
  api: Api;
  clock: FakeClock;
  kind: DbKind;
  dataDir: string;
  /** Every log line the hub wrote, raw JSON text. */
  logs: string[];
  /** A signed-in administrator. */
  admin: { id: string; token: string };
  /** Creates a user through the admin API and signs them in. */
  makeUser(
    overrides?: Partial<CreateUserRequest> & { roles?: Role[] },
  ): Promise<{ id: string; token: string; login: string; password: string }>;
  /** Signs in; returns the token (fails the test on a non-200). */
  login(login: string, password?: string): Promise<string>;
  /** Stops the hub and removes its data. */
  close(): Promise<void>;
}

let counter = 0;

/** What every test hub runs with: port 0 on loopback, logs kept, cheap password hashing. */
export const TEST_HUB_BASE = {
  port: 0,
  host: '127.0.0.1',
  logLevel: 'info',
  argon2MemoryKib: 1024,
  argon2TimeCost: 1,
} as const satisfies HubConfigInput;

/** A log destination that keeps every line (raw JSON text) in `lines`. */
export function logSink(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
}

/** Starts a real hub on port 0 over a fresh SQLite file or PostgreSQL database. */
export async function startTestHub(
  kind: DbKind,
  config: HubConfigInput = {},
  options: { clock?: FakeClock; keepData?: boolean } = {},
): Promise<TestHub> {
  const dataDir = mkdtempSync(join(tmpdir(), 'konsilium-test-'));
  const pgDb = kind === 'postgres' ? await createPgDatabase() : null;
  const clock = options.clock ?? new FakeClock();
  const logs: string[] = [];
  const hub = createHub(
    { ...TEST_HUB_BASE, dataDir, ...(pgDb ? { databaseUrl: pgDb.url } : {}), ...config },
    { clock, logDestination: logSink(logs) },
  );
  await hub.start();
  const api = new Api(hub.url());
  const adminLogin = `admin${++counter}`;
  const hash = await hub.internals.credentials.hashPassword(TEST_PASSWORD);
  const admin = await hub.internals.directory.createUser(
    SYSTEM,
    {
      login: adminLogin,
      password: TEST_PASSWORD,
      lastName: 'Администраторов',
      firstName: 'Админ',
      roles: ['admin'],
    },
    { passwordHash: hash },
  );
  const login = async (name: string, password = TEST_PASSWORD): Promise<string> => {
    const res = await api.post('/api/v1/auth/login', { login: name, password });
    if (res.status !== 200)
      throw new Error(`login ${name} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.token as string;
  };
  const adminToken = await login(adminLogin);
  return {
    hub,
    api,
    clock,
    kind,
    dataDir,
    logs,
    admin: { id: admin.id, token: adminToken },
    login,
    async makeUser(overrides = {}) {
      const n = ++counter;
      const body = {
        login: `user${n}`,
        password: TEST_PASSWORD,
        lastName: 'Петров',
        firstName: 'Пётр',
        ...overrides,
      };
      const res = await api.post('/api/v1/directory/users', body, { token: adminToken });
      if (res.status !== 201)
        throw new Error(`makeUser failed: ${res.status} ${JSON.stringify(res.body)}`);
      const token = await login(body.login, body.password);
      return { id: res.body.id as string, token, login: body.login, password: body.password };
    },
    async close() {
      await hub.stop();
      if (pgDb) await pgDb.drop();
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
