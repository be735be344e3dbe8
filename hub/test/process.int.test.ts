import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../src/platform/log/logger.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.js');

function startMain(env: Record<string, string>, args: string[] = []) {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = async (): Promise<string> => {
    for (let i = 0; i < 600; i++) {
      const m = /running at (http:\/\/\S+)/.exec(out);
      if (m) return m[1]!;
      if (child.exitCode !== null) throw new Error(`exited: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`did not start: ${out} ${err}`);
  };
  return { child, exited, listening, output: () => ({ out, err }) };
}

describe('hub process entry (main.js)', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'konsilium-main-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`prints its URL, serves, and on ${signal} stops gracefully with exit code 0`, async () => {
      const p = startMain({
        KONSILIUM_PORT: '0',
        KONSILIUM_DATA_DIR: dataDir,
        KONSILIUM_LOG_LEVEL: 'info',
      });
      const url = await p.listening();
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      p.child.kill(signal);
      assert.equal(await p.exited, 0);
      assert.match(p.output().out, /hub stopped/);
    });
  }

  it('with --demo loads the demo hospital once; admin signs in with konsilium-demo', async () => {
    const env = { KONSILIUM_PORT: '0', KONSILIUM_DATA_DIR: dataDir, KONSILIUM_LOG_LEVEL: 'warn' };
    const p = startMain(env, ['--demo']);
    const url = await p.listening();
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'admin', password: 'konsilium-demo' }),
    });
    assert.equal(login.status, 200);
    const { token } = (await login.json()) as { token: string };
    const staff = await fetch(`${url}/api/v1/directory/users?limit=100`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await staff.json()) as { total: number };
    assert.ok(body.total >= 40, `demo has ${body.total} staff`);
    const units = await fetch(`${url}/api/v1/directory/units`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(units.status, 200);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
    // A second start over the same data keeps what is there and loads nothing twice.
    const again = startMain(env, ['--demo']);
    const url2 = await again.listening();
    const login2 = await fetch(`${url2}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'admin', password: 'konsilium-demo' }),
    });
    const t2 = ((await login2.json()) as { token: string }).token;
    const staff2 = (await (
      await fetch(`${url2}/api/v1/directory/users?limit=1`, {
        headers: { authorization: `Bearer ${t2}` },
      })
    ).json()) as { total: number };
    assert.equal(staff2.total, body.total);
    again.child.kill('SIGTERM');
    assert.equal(await again.exited, 0);
  });

  it('refuses to start on invalid configuration, naming the variable, exit code 2', async () => {
    const p = startMain({ KONSILIUM_PORT: 'not-a-port', KONSILIUM_DATA_DIR: dataDir });
    assert.equal(await p.exited, 2);
    assert.match(p.output().err, /KONSILIUM_PORT/);
  });
});

describe('log redaction', () => {
  it('credentials, names, identifiers and bodies never reach a log line', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const log = createLogger('info', sink);
    log.info(
      {
        password: 'secret-1',
        token: 'tok-2',
        lastName: 'Иванов',
        user: { firstName: 'Иван', middleName: 'Иванович', phone: '+7 900', email: 'a@b.c' },
        req: { headers: { authorization: 'Bearer tok-3', cookie: 'c=4' } },
        patient: { name: 'Петров' },
        body: 'диагноз',
        externalIds: [{ system: 'snils', value: '112-233-445 95' }],
        userId: 'kept-id',
      },
      'event',
    );
    const text = lines.join('');
    for (const secret of [
      'secret-1',
      'tok-2',
      'Иванов',
      'Иван',
      '+7 900',
      'a@b.c',
      'tok-3',
      'c=4',
      'Петров',
      'диагноз',
      '112-233',
    ]) {
      assert.ok(!text.includes(secret), `${secret} leaked`);
    }
    assert.ok(text.includes('kept-id'));
  });
});
