import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { ParseResult } from '../../src/context/common.js';
import { LoopbackListener, generateLoopbackSecret } from '../../src/context/loopback.js';
import { rawRequest } from './support/http.js';
import { RecordingLog } from './support/kit.js';

const SYS = 'urn:oid:1.2.643.5.1.13.13.12.2.77.7973';

describe('context: loopback HTTP listener', () => {
  let listener: LoopbackListener;
  let received: Array<ParseResult | null>;
  let log: RecordingLog;
  const secret = generateLoopbackSecret();

  beforeEach(async () => {
    received = [];
    log = new RecordingLog();
    listener = new LoopbackListener({
      port: 0,
      secret,
      log,
      now: () => new Date('2026-11-27T10:00:00Z'),
      onContext: (r) => received.push(r),
    });
    await listener.start();
  });

  afterEach(async () => {
    await listener.stop();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    rawRequest({
      port: listener.port,
      method: 'POST',
      path: '/context',
      headers: {
        authorization: `Bearer ${secret}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });

  it('accepts a context with the secret and clears it with DELETE', async () => {
    const res = await post({
      system: SYS,
      value: 'L-1',
      display: 'Сидоров С.С.',
      encounter: { value: 'E-9' },
    });
    assert.equal(res.status, 204);
    assert.deepEqual(received, [
      {
        ok: true,
        context: {
          system: SYS,
          value: 'L-1',
          display: 'Сидоров С.С.',
          encounter: { value: 'E-9' },
          source: 'loopback',
          at: '2026-11-27T10:00:00.000Z',
        },
      },
    ]);
    const del = await rawRequest({
      port: listener.port,
      method: 'DELETE',
      path: '/context',
      headers: { authorization: `Bearer ${secret}` },
    });
    assert.equal(del.status, 204);
    assert.equal(received.at(-1), null);
  });

  it('binds to 127.0.0.1 only and refuses any other configured host', async () => {
    for (const host of ['0.0.0.0', '::', 'localhost', '192.168.1.10', '::1']) {
      assert.throws(
        () => new LoopbackListener({ port: 0, secret, host, log, onContext: () => undefined }),
        /127\.0\.0\.1 only/,
      );
    }
    const other = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (other) {
      const refused = await new Promise<boolean>((resolve) => {
        const s = connect({ host: other.address, port: listener.port });
        s.on('connect', () => {
          s.destroy();
          resolve(false);
        });
        s.on('error', () => resolve(true));
      });
      assert.equal(refused, true, 'not reachable on a non-loopback interface');
    }
    assert.throws(
      () => new LoopbackListener({ port: 0, secret: 'short', log, onContext: () => undefined }),
      /secret/,
    );
  });

  const refusals: Array<[string, () => Promise<{ status: number }>, number]> = [
    ['no secret', () => post({ system: SYS, value: '1' }, { authorization: '' }), 401],
    [
      'a wrong secret',
      () => post({ system: SYS, value: '1' }, { authorization: `Bearer ${'x'.repeat(43)}` }),
      401,
    ],
    [
      'a secret prefix',
      () => post({ system: SYS, value: '1' }, { authorization: `Bearer ${secret.slice(0, 10)}` }),
      401,
    ],
    [
      'another scheme',
      () => post({ system: SYS, value: '1' }, { authorization: `Basic ${secret}` }),
      401,
    ],
    [
      'a browser Origin (even with the secret)',
      () => post({ system: SYS, value: '1' }, { origin: 'https://evil.example' }),
      403,
    ],
    ['Origin: null', () => post({ system: SYS, value: '1' }, { origin: 'null' }), 403],
    [
      'Sec-Fetch-Site',
      () => post({ system: SYS, value: '1' }, { 'sec-fetch-site': 'cross-site' }),
      403,
    ],
    ['a rebinding Host', () => post({ system: SYS, value: '1' }, { host: 'evil.example' }), 403],
    ['text/plain', () => post({ system: SYS, value: '1' }, { 'content-type': 'text/plain' }), 415],
    [
      'form encoding',
      () => post('system=a&value=1', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
    ],
    ['broken JSON', () => post('{"system":'), 400],
    ['a JSON array', () => post([1]), 400],
    ['unknown keys', () => post({ system: SYS, value: '1', extra: true }), 400],
    ['a missing value', () => post({ system: SYS }), 400],
    ['a blank value', () => post({ system: SYS, value: '   ' }), 400],
    ['a control character', () => post({ system: SYS, value: '1\u0000' }), 400],
    ['a bidi override', () => post({ system: SYS, value: '1', display: '\u202eabc' }), 400],
    [
      'invalid UTF-8',
      () =>
        post(
          Buffer.concat([
            Buffer.from(`{"system":"${SYS}","value":"`),
            Buffer.from([0xc3, 0x28]),
            Buffer.from('"}'),
          ]),
        ),
      400,
    ],
    [
      'a declared oversize body',
      () => post({ system: SYS, value: '1', display: 'x'.repeat(9000) }),
      413,
    ],
    [
      'an oversize chunked body',
      () =>
        rawRequest({
          port: listener.port,
          method: 'POST',
          path: '/context',
          headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ system: SYS, value: '1', display: 'x'.repeat(20000) }),
          chunked: true,
        }),
      413,
    ],
    [
      'GET',
      () =>
        rawRequest({
          port: listener.port,
          method: 'GET',
          path: '/context',
          headers: { authorization: `Bearer ${secret}` },
        }),
      405,
    ],
    [
      'PUT',
      () =>
        rawRequest({
          port: listener.port,
          method: 'PUT',
          path: '/context',
          headers: { authorization: `Bearer ${secret}` },
        }),
      405,
    ],
    [
      'another path',
      () =>
        rawRequest({
          port: listener.port,
          method: 'POST',
          path: '/admin',
          headers: { authorization: `Bearer ${secret}` },
        }),
      404,
    ],
  ];
  for (const [name, send, status] of refusals) {
    it(`refuses ${name} with ${status} and changes nothing`, async () => {
      const res = await send();
      assert.equal(res.status, status);
      assert.deepEqual(received, []);
      assert.equal(log.entries.filter((e) => e.level === 'warn').length, 1);
      assert.match(log.reasons()[0] ?? '', /^loopback\.[a-z_]+$/);
    });
  }

  it('does not log patient data from rejected bodies', async () => {
    await post({ system: SYS, value: 'SECRET-MRN\u0001' });
    await post({ system: SYS, value: 'SECRET-MRN', extra: 'SECRET' });
    assert.ok(!log.text().includes('SECRET'));
  });
});
