import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHub } from '../src/hub.js';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { eachDatabase, createPgDatabase } from './support/databases.js';
import { Api } from './support/http.js';

function resources(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((r) => r !== 'TTYWrap' && r !== 'Timeout')
    .sort();
}

eachDatabase('hub process', (kind) => {
  let dataDir: string;
  let pg: Awaited<ReturnType<typeof createPgDatabase>> | null = null;
  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'konsilium-life-'));
    pg = kind === 'postgres' ? await createPgDatabase() : null;
  });
  afterEach(async () => {
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const config = () => ({
    port: 0,
    dataDir,
    logLevel: 'silent' as const,
    ...(pg ? { databaseUrl: pg.url } : {}),
  });

  it('starts, answers /healthz and /readyz, stops; twice in one process with no leaked handles', async () => {
    const before = resources();
    for (let round = 0; round < 2; round++) {
      const hub = createHub(config());
      await hub.start();
      const api = new Api(hub.url());
      const health = await api.get('/healthz');
      assert.equal(health.status, 200);
      assert.deepEqual(health.body, { status: 'ok' });
      const ready = await api.get('/readyz');
      assert.equal(ready.status, 200);
      assert.ok(health.headers.get('x-request-id'));
      await hub.stop();
      await assert.rejects(fetch(`${hub.url()}/healthz`), 'the port is closed');
    }
    // Sockets and pool connections finish closing asynchronously after stop();
    // under load that can take a moment. Wait for them (bounded), then compare.
    for (let waited = 0; waited < 3000 && resources().join() !== before.join(); waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(resources(), before);
  });

  it('applies migrations on first start and is ready on the second over the same data', async () => {
    const first = createHub(config());
    await first.start();
    await first.stop();
    const second = createHub(config());
    await second.start();
    assert.equal(await second.internals.db.isReady(), true);
    await second.stop();
  });

  it('unknown routes get 404 http.not_found; wrong methods 405; errors carry a request id', async () => {
    const hub = createHub(config());
    await hub.start();
    try {
      const api = new Api(hub.url());
      const missing = await api.get('/api/v1/nothing-here');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'http.not_found');
      assert.match(missing.body.error.requestId, /^[0-9a-f-]{36}$/);
      const wrong = await api.request('DELETE', '/healthz');
      assert.equal(wrong.status, 405);
      assert.equal(wrong.body.error.code, 'http.method_not_allowed');
      const big = await api.request('POST', '/api/v1/auth/login', {
        rawBody: JSON.stringify({ login: 'a', password: 'x'.repeat(2 * 1024 * 1024) }),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(big.status, 413);
      assert.equal(big.body.error.code, 'http.payload_too_large');
    } finally {
      await hub.stop();
    }
  });
});

describe('hub configuration', () => {
  it('defaults: port 8080, host 127.0.0.1, data dir ./data, SQLite', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.dataDir, './data');
    assert.equal(c.databaseUrl, undefined);
  });

  it('reads KONSILIUM_* variables and a JSON config file; the environment wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'konsilium-cfg-'));
    const file = join(dir, 'hub.json');
    writeFileSync(
      file,
      JSON.stringify({ port: 9000, dataDir: '/var/lib/konsilium', logLevel: 'warn' }),
    );
    const c = loadConfig({
      KONSILIUM_CONFIG: file,
      KONSILIUM_PORT: '9100',
      KONSILIUM_DATABASE_URL: 'postgres://h/db',
    });
    assert.equal(c.port, 9100);
    assert.equal(c.dataDir, '/var/lib/konsilium');
    assert.equal(c.logLevel, 'warn');
    assert.equal(c.databaseUrl, 'postgres://h/db');
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails fast naming the bad key', () => {
    assert.throws(
      () => loadConfig({ KONSILIUM_PORT: 'eighty' }),
      (e: Error) => e instanceof ConfigError && /KONSILIUM_PORT/.test(e.message),
    );
    assert.throws(() => loadConfig({ KONSILIUM_PORT: '70000' }), /KONSILIUM_PORT/);
    assert.throws(
      () => loadConfig({ KONSILIUM_DATABASE_URL: 'mysql://x' }),
      /KONSILIUM_DATABASE_URL/,
    );
    assert.throws(
      () => loadConfig({ KONSILIUM_DIRECTORY_SEARCH: 'fast' }),
      /KONSILIUM_DIRECTORY_SEARCH/,
    );
    for (const bad of [
      'konsilium.hospital.local',
      'ftp://konsilium.hospital.local',
      'https://konsilium.hospital.local/?a=1',
      'https://konsilium.hospital.local/#/x',
      'https://user:secret@konsilium.hospital.local',
    ])
      assert.throws(() => loadConfig({ KONSILIUM_PUBLIC_URL: bad }), /KONSILIUM_PUBLIC_URL/, bad);
    assert.equal(
      loadConfig({ KONSILIUM_PUBLIC_URL: 'https://konsilium.hospital.local/chat/' }).publicUrl,
      'https://konsilium.hospital.local/chat',
    );
    assert.throws(
      () => loadConfig({ KONSILIUM_PROT: '1' }),
      /Unknown configuration variable KONSILIUM_PROT/,
    );
    assert.throws(
      () => loadConfig({ KONSILIUM_CONFIG: '/nonexistent/hub.json' }),
      /Cannot read config file/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'konsilium-cfg-'));
    writeFileSync(join(dir, 'bad.json'), '{ port: 1');
    assert.throws(() => loadConfig({ KONSILIUM_CONFIG: join(dir, 'bad.json') }), /not valid JSON/);
    writeFileSync(join(dir, 'extra.json'), '{"colour":"red"}');
    assert.throws(() => loadConfig({ KONSILIUM_CONFIG: join(dir, 'extra.json') }), /colour/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a hub on an unreachable database fails to start with a clear error and releases everything', async () => {
    const hub = createHub({
      port: 0,
      logLevel: 'silent',
      databaseUrl: 'postgres://nobody@127.0.0.1:1/none',
    });
    await assert.rejects(hub.start());
    await hub.stop();
  });
});
