import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCreateAdmin } from '../src/cli/create-admin.js';
import { createHub } from '../src/hub.js';
import { createPgDatabase, eachDatabase } from './support/databases.js';
import { Api } from './support/http.js';

eachDatabase('hub:create-admin', (kind) => {
  let dataDir: string;
  let pg: Awaited<ReturnType<typeof createPgDatabase>> | null = null;
  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'konsilium-cli-'));
    pg = kind === 'postgres' ? await createPgDatabase() : null;
  });
  afterEach(async () => {
    await pg?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const env = (extra: Record<string, string> = {}) => ({
    KONSILIUM_DATA_DIR: dataDir,
    KONSILIUM_ARGON2_MEMORY_KIB: '1024',
    KONSILIUM_ARGON2_TIME_COST: '1',
    ...(pg ? { KONSILIUM_DATABASE_URL: pg.url } : {}),
    ...extra,
  });
  const args = ['--login', 'it.admin', '--last-name', 'Админов', '--first-name', 'Иван'];

  it('creates the first administrator of an empty database, who can then sign in and manage the directory', async () => {
    const r = await runCreateAdmin(args, env({ KONSILIUM_ADMIN_PASSWORD: 'first-admin-password' }));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /created administrator it\.admin/);
    const hub = createHub({
      port: 0,
      dataDir,
      logLevel: 'silent',
      ...(pg ? { databaseUrl: pg.url } : {}),
    });
    await hub.start();
    try {
      const api = new Api(hub.url());
      const login = await api.post('/api/v1/auth/login', {
        login: 'it.admin',
        password: 'first-admin-password',
      });
      assert.equal(login.status, 200);
      assert.ok(login.body.user.roles.includes('admin'));
      const audit = await api.get('/api/v1/audit?action=directory.user.create', {
        token: login.body.token,
      });
      assert.equal(audit.body.items.length, 1);
      assert.equal(audit.body.items[0].actorId, null, 'created by the system');
    } finally {
      await hub.stop();
    }
  });

  it('reads the password from standard input when the variable is not set', async () => {
    const r = await runCreateAdmin(args, env(), async () => 'typed-admin-password');
    assert.equal(r.code, 0, r.out);
  });

  it('refuses bad arguments, a weak password and a taken login, changing nothing', async () => {
    assert.equal(
      (await runCreateAdmin(['--bogus'], env({ KONSILIUM_ADMIN_PASSWORD: 'x'.repeat(12) }))).code,
      2,
    );
    const weak = await runCreateAdmin(args, env({ KONSILIUM_ADMIN_PASSWORD: 'short' }));
    assert.equal(weak.code, 2);
    assert.match(weak.out, /password/);
    const noName = await runCreateAdmin(
      ['--login', 'x.admin'],
      env({ KONSILIUM_ADMIN_PASSWORD: 'long-enough-pw' }),
    );
    assert.equal(noName.code, 2);
    assert.match(noName.out, /--last-name/);
    const badConfig = await runCreateAdmin(
      args,
      env({ KONSILIUM_ADMIN_PASSWORD: 'long-enough-pw', KONSILIUM_PORT: 'x' }),
    );
    assert.equal(badConfig.code, 2, 'configuration is validated as the hub does');
    assert.match(badConfig.out, /KONSILIUM_PORT/);
    assert.equal(
      (await runCreateAdmin(args, env({ KONSILIUM_ADMIN_PASSWORD: 'long-enough-pw' }))).code,
      0,
    );
    const taken = await runCreateAdmin(args, env({ KONSILIUM_ADMIN_PASSWORD: 'long-enough-pw' }));
    assert.equal(taken.code, 1);
    assert.match(taken.out, /directory\.login_taken/);
  });
});

describe('embedded SQLite settings', () => {
  it('runs in WAL mode with synchronous=FULL, a busy timeout and foreign keys on', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'konsilium-pragma-'));
    const hub = createHub({ port: 0, dataDir, logLevel: 'silent' });
    await hub.start();
    try {
      const q = async (p: string) =>
        Object.values((await hub.internals.db.manager.query(`PRAGMA ${p}`))[0])[0];
      assert.equal(String(await q('journal_mode')).toLowerCase(), 'wal');
      assert.equal(Number(await q('synchronous')), 2, 'FULL');
      assert.equal(Number(await q('foreign_keys')), 1);
      assert.ok(Number(await q('busy_timeout')) >= 1000);
    } finally {
      await hub.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
