import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { ConfigError, loadConfig, parseConfig } from '../src/config/index.js';
import { AuditRowEntity, type AuditRow } from '../src/modules/audit/index.js';
import {
  ExternalChannels,
  bodyEncoder,
  fillTemplate,
  recipientDigest,
  renderExternalSubject,
  renderExternalText,
  type ChannelConfig,
} from '../src/modules/notify/index.js';
import { startTestHub, type TestHub } from './support/hub.js';

interface Mail {
  from: string;
  to: string[];
  raw: string;
}

/** A real SMTP server on a free port that keeps what it receives. */
async function startSmtp(): Promise<{ server: SMTPServer; port: number; mails: Mail[] }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { server, port, mails };
}

interface Hit {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP SMS gateway that answers with the given statuses in turn (last one repeats). */
async function startGateway(
  statuses: number[],
): Promise<{ server: Server; base: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.statusCode = statuses[Math.min(hits.length - 1, statuses.length - 1)]!;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, base, hits };
}

const closeHttp = (s: Server): Promise<void> => new Promise((r) => s.close(() => r()));

/** Decodes a quoted-printable or base64 text body enough to read it. */
function mailText(raw: string): string {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
  const body = rest.join('\n\n');
  if (/Content-Transfer-Encoding: base64/i.test(head))
    return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (/Content-Transfer-Encoding: quoted-printable/i.test(head)) {
    const joined = body.replace(/=\r?\n/g, '');
    const bytes: number[] = [];
    for (let i = 0; i < joined.length; i++) {
      if (joined[i] === '=' && /^[0-9A-F]{2}$/i.test(joined.slice(i + 1, i + 3))) {
        bytes.push(parseInt(joined.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(joined.charCodeAt(i));
    }
    return Buffer.from(bytes).toString('utf8');
  }
  return body;
}

/** RFC 2047 subject decode (base64 words only, as nodemailer writes them). */
function mailSubject(raw: string): string {
  const line = /^Subject: (.*(?:\r?\n[ \t].*)*)/im.exec(raw)?.[1] ?? '';
  return line
    .replace(/\r?\n[ \t]/g, ' ')
    .replace(/=\?utf-8\?B\?([^?]*)\?=\s*/gi, (_m, b64: string) =>
      Buffer.from(b64, 'base64').toString('utf8'),
    )
    .replace(/=\?utf-8\?Q\?([^?]*)\?=\s*/gi, (_m, q: string) =>
      Buffer.from(
        q
          .replace(/_/g, ' ')
          .replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
        'latin1',
      ).toString('utf8'),
    )
    .trim();
}

const LINK = 'https://konsilium.example/c/abc?x=1&y=2#m';

describe('external channels (e-mail, SMS)', function () {
  this.timeout(60000);
  let t: TestHub;
  const sleeps: number[] = [];

  before(async () => {
    t = await startTestHub('sqlite');
  });
  after(async () => {
    await t.close();
  });
  beforeEach(() => {
    sleeps.length = 0;
  });

  function channels(config: Partial<ChannelConfig>): ExternalChannels {
    const full: ChannelConfig = {
      smtpFrom: 'konsilium@hospital.example',
      smsGatewayMethod: 'GET',
      smsGatewayHeaders: {},
      ...config,
    };
    return new ExternalChannels({
      db: t.hub.internals.db,
      audit: t.hub.internals.audit,
      log: t.hub.log,
      config: full,
      timeoutMs: 2000,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    });
  }

  async function auditRows(action: string): Promise<AuditRow[]> {
    return t.hub.internals.db.manager.find(AuditRowEntity, {
      where: { action },
      order: { seq: 'ASC' },
    });
  }

  it('renders a fixed sentence with only the code and the link', () => {
    const text = renderExternalText({ code: 'K-1234', link: 'https://h.example/x' });
    assert.equal(text, 'Konsilium: требуется ваше внимание, код K-1234. https://h.example/x');
    assert.equal(
      renderExternalSubject({ code: 'K-1234' }),
      'Konsilium: требуется ваше внимание (K-1234)',
    );
    // Whatever else a caller holds cannot reach the text: only code and link are read.
    const withPatient = {
      code: 'K-1',
      link: 'https://h.example/y',
      patientName: 'Иванов Иван',
      text: 'Калий 7.1 у пациента',
    };
    const out = renderExternalText(withPatient);
    assert.ok(!out.includes('Иванов') && !out.includes('Калий'));
  });

  it('fills gateway templates so hostile values cannot break out of their slot', () => {
    const hostile = { phone: '1&to=2#x/../?', text: 'a"b\\c\n}{text}' };
    const url = new URL(
      fillTemplate('https://gw.example/s?to={phone}&m={text}', hostile, encodeURIComponent),
    );
    assert.equal(url.host, 'gw.example');
    assert.equal(url.pathname, '/s');
    assert.equal(url.hash, '');
    assert.deepEqual(
      [...url.searchParams.entries()],
      [
        ['to', hostile.phone],
        ['m', hostile.text],
      ],
    );
    const json = fillTemplate(
      '{"to":"{phone}","m":"{text}"}',
      hostile,
      bodyEncoder('application/json'),
    );
    assert.deepEqual(JSON.parse(json), { to: hostile.phone, m: hostile.text });
    const form = new URLSearchParams(fillTemplate('to={phone}&m={text}', hostile, bodyEncoder('')));
    assert.deepEqual(
      [...form.entries()],
      [
        ['to', hostile.phone],
        ['m', hostile.text],
      ],
    );
  });

  it('delivers e-mail to a real SMTP server, addressed and minimal; audits without the address', async () => {
    const smtp = await startSmtp();
    const ch = channels({ smtpUrl: `smtp://127.0.0.1:${smtp.port}` });
    try {
      const staffId = 'staff-42';
      const result = await ch.sendEmail({
        staffId,
        to: 'doctor@hospital.example',
        code: 'K-1234',
        link: LINK,
      });
      assert.deepEqual(result, { ok: true, attempts: 1 });
      assert.equal(smtp.mails.length, 1);
      const mail = smtp.mails[0]!;
      assert.deepEqual(mail.to, ['doctor@hospital.example']);
      assert.equal(mail.from, 'konsilium@hospital.example');
      assert.equal(mailSubject(mail.raw), 'Konsilium: требуется ваше внимание (K-1234)');
      const text = mailText(mail.raw).trim();
      assert.equal(text, `Konsilium: требуется ваше внимание, код K-1234. ${LINK}`);
      const rows = await auditRows('notify.email');
      const last = rows.at(-1)!;
      assert.equal(last.outcome, 'success');
      assert.equal(last.targetId, staffId);
      assert.ok(!last.details.includes('doctor@'), 'no address in the audit');
      assert.ok(last.details.includes(recipientDigest('doctor@hospital.example')));
    } finally {
      ch.close();
      await new Promise<void>((r) => smtp.server.close(() => r()));
    }
  });

  it('SMTP down: retries with backoff, then { ok: false }, every attempt audited', async () => {
    const smtp = await startSmtp();
    const port = smtp.port;
    await new Promise<void>((r) => smtp.server.close(() => r()));
    const ch = channels({ smtpUrl: `smtp://127.0.0.1:${port}` });
    const before = (await auditRows('notify.email')).length;
    const logsBefore = t.logs.length;
    const result = await ch.sendEmail({
      staffId: 'staff-7',
      to: 'nurse@hospital.example',
      code: 'K-9',
      link: LINK,
    });
    ch.close();
    assert.equal(result.ok, false);
    assert.equal(result.attempts, 3);
    assert.ok(!result.ok && /^smtp-/.test(result.reason), JSON.stringify(result));
    assert.deepEqual(sleeps, [1000, 2000]);
    const rows = (await auditRows('notify.email')).slice(before);
    assert.equal(rows.length, 3);
    assert.ok(rows.every((r) => r.outcome === 'failure' && r.targetId === 'staff-7'));
    assert.deepEqual(
      rows.map((r) => (JSON.parse(r.details) as { attempt: number }).attempt),
      [1, 2, 3],
    );
    const newLogs = t.logs.slice(logsBefore).join('');
    assert.ok(newLogs.includes('external channel attempt failed'));
    assert.ok(!newLogs.includes('nurse@'), 'no address in the logs');
  });

  it('SMS over GET: placeholders URL-encoded, hostile link characters stay inside the parameter', async () => {
    const gw = await startGateway([200]);
    const ch = channels({ smsGatewayUrl: `${gw.base}/send?to={phone}&msg={text}&key=k1` });
    try {
      const result = await ch.sendSms({
        staffId: 'staff-1',
        phone: '+79161234567',
        code: 'K-55',
        link: LINK,
      });
      assert.deepEqual(result, { ok: true, attempts: 1 });
      assert.equal(gw.hits.length, 1);
      const hit = gw.hits[0]!;
      assert.equal(hit.method, 'GET');
      const url = new URL(hit.url, gw.base);
      assert.equal(url.pathname, '/send');
      assert.deepEqual([...url.searchParams.keys()], ['to', 'msg', 'key']);
      assert.equal(url.searchParams.get('to'), '+79161234567');
      assert.equal(
        url.searchParams.get('msg'),
        `Konsilium: требуется ваше внимание, код K-55. ${LINK}`,
      );
      assert.equal(url.searchParams.get('key'), 'k1');
      assert.equal(url.hash, '');
      const row = (await auditRows('notify.sms')).at(-1)!;
      assert.equal(row.outcome, 'success');
      assert.ok(!row.details.includes('79161234567'), 'no phone in the audit');
    } finally {
      await closeHttp(gw.server);
    }
  });

  it('SMS over POST: JSON body template escaped, headers sent', async () => {
    const gw = await startGateway([202]);
    const ch = channels({
      smsGatewayUrl: `${gw.base}/api/sms`,
      smsGatewayMethod: 'POST',
      smsGatewayBodyTemplate: '{"to":"{phone}","text":"{text}"}',
      smsGatewayHeaders: { 'Content-Type': 'application/json', Authorization: 'Bearer t0k' },
    });
    try {
      const link = 'https://h.example/c?q="quoted"\\back';
      const result = await ch.sendSms({
        phone: '79161234567',
        code: 'K-56',
        link: encodeURI(link),
      });
      assert.equal(result.ok, true);
      const hit = gw.hits[0]!;
      assert.equal(hit.method, 'POST');
      assert.equal(hit.headers.authorization, 'Bearer t0k');
      const body = JSON.parse(hit.body) as Record<string, string>;
      assert.deepEqual(Object.keys(body), ['to', 'text']);
      assert.equal(body.to, '79161234567');
      assert.equal(body.text, `Konsilium: требуется ваше внимание, код K-56. ${encodeURI(link)}`);
    } finally {
      await closeHttp(gw.server);
    }
  });

  it('SMS over POST with a form body when no content type is given', async () => {
    const gw = await startGateway([200]);
    const ch = channels({
      smsGatewayUrl: `${gw.base}/form`,
      smsGatewayMethod: 'POST',
      smsGatewayBodyTemplate: 'to={phone}&text={text}',
    });
    try {
      assert.equal((await ch.sendSms({ phone: '+4930123456', code: 'K-57', link: LINK })).ok, true);
      const hit = gw.hits[0]!;
      assert.match(String(hit.headers['content-type']), /x-www-form-urlencoded/);
      const form = new URLSearchParams(hit.body);
      assert.deepEqual([...form.keys()], ['to', 'text']);
      assert.equal(form.get('to'), '+4930123456');
      assert.equal(form.get('text'), `Konsilium: требуется ваше внимание, код K-57. ${LINK}`);
    } finally {
      await closeHttp(gw.server);
    }
  });

  it('a hostile phone number is refused before any request, and audited', async () => {
    const gw = await startGateway([200]);
    const ch = channels({ smsGatewayUrl: `${gw.base}/send?to={phone}&msg={text}` });
    try {
      const result = await ch.sendSms({ phone: '123&admin=1#x', code: 'K-1', link: LINK });
      assert.deepEqual(result, { ok: false, attempts: 0, reason: 'invalid-request' });
      assert.equal(gw.hits.length, 0);
      const row = (await auditRows('notify.sms')).at(-1)!;
      assert.equal(row.outcome, 'failure');
      assert.ok(!row.details.includes('admin=1'));
    } finally {
      await closeHttp(gw.server);
    }
  });

  it('gateway 5xx: retried with backoff, then succeeds or fails after the last attempt', async () => {
    const flaky = await startGateway([503, 200]);
    const down = await startGateway([500]);
    try {
      const ok = await channels({ smsGatewayUrl: `${flaky.base}/s?p={phone}&t={text}` }).sendSms({
        phone: '79160000001',
        code: 'K-2',
        link: LINK,
      });
      assert.deepEqual(ok, { ok: true, attempts: 2 });
      assert.deepEqual(sleeps, [1000]);
      sleeps.length = 0;
      const before = (await auditRows('notify.sms')).length;
      const failed = await channels({ smsGatewayUrl: `${down.base}/s?p={phone}&t={text}` }).sendSms(
        {
          staffId: 'staff-3',
          phone: '79160000002',
          code: 'K-3',
          link: LINK,
        },
      );
      assert.deepEqual(failed, { ok: false, attempts: 3, reason: 'http-500' });
      assert.equal(down.hits.length, 3);
      assert.deepEqual(sleeps, [1000, 2000]);
      const rows = (await auditRows('notify.sms')).slice(before);
      assert.deepEqual(
        rows.map((r) => r.outcome),
        ['failure', 'failure', 'failure'],
      );
    } finally {
      await closeHttp(flaky.server);
      await closeHttp(down.server);
    }
  });

  it('gateway 4xx: no retry', async () => {
    const gw = await startGateway([400]);
    try {
      const result = await channels({ smsGatewayUrl: `${gw.base}/s?p={phone}&t={text}` }).sendSms({
        phone: '79160000003',
        code: 'K-4',
        link: LINK,
      });
      assert.deepEqual(result, { ok: false, attempts: 1, reason: 'http-400' });
      assert.equal(gw.hits.length, 1);
      assert.deepEqual(sleeps, []);
    } finally {
      await closeHttp(gw.server);
    }
  });

  it('an unconfigured channel answers channel-off; the hub exposes its channels', async () => {
    const ch = channels({});
    assert.equal(ch.enabled('email'), false);
    assert.equal(ch.enabled('sms'), false);
    assert.deepEqual(await ch.sendEmail({ to: 'a@b.example', code: 'K-1', link: LINK }), {
      ok: false,
      attempts: 0,
      reason: 'channel-off',
    });
    assert.equal(t.hub.internals.channels.enabled('sms'), false);
  });
});

describe('external channel configuration', () => {
  it('accepts the channel keys from the environment', () => {
    const config = loadConfig({
      KONSILIUM_SMTP_URL: 'smtp://mail.hospital.local:25',
      KONSILIUM_SMTP_FROM: 'konsilium@hospital.local',
      KONSILIUM_SMS_GATEWAY_URL: 'https://sms.local/send?to={phone}&text={text}',
      KONSILIUM_SMS_GATEWAY_METHOD: 'POST',
      KONSILIUM_SMS_GATEWAY_HEADERS: '{"Authorization":"Bearer x"}',
    });
    assert.equal(config.smtpUrl, 'smtp://mail.hospital.local:25');
    assert.equal(config.smsGatewayMethod, 'POST');
    assert.deepEqual(config.smsGatewayHeaders, { Authorization: 'Bearer x' });
  });

  const bad: [Record<string, string>, RegExp][] = [
    [{ KONSILIUM_SMTP_URL: 'http://mail:25' }, /KONSILIUM_SMTP_URL/],
    [{ KONSILIUM_SMTP_FROM: 'not-an-address' }, /KONSILIUM_SMTP_FROM/],
    [{ KONSILIUM_SMS_GATEWAY_URL: 'ftp://sms/{phone}' }, /KONSILIUM_SMS_GATEWAY_URL/],
    [{ KONSILIUM_SMS_GATEWAY_URL: 'not a url {text}' }, /KONSILIUM_SMS_GATEWAY_URL/],
    [{ KONSILIUM_SMS_GATEWAY_METHOD: 'PUT' }, /KONSILIUM_SMS_GATEWAY_METHOD/],
    [{ KONSILIUM_SMS_GATEWAY_HEADERS: '[1,2]' }, /KONSILIUM_SMS_GATEWAY_HEADERS/],
    [{ KONSILIUM_SMS_GATEWAY_HEADERS: '{not json' }, /KONSILIUM_SMS_GATEWAY_HEADERS/],
  ];
  for (const [env, name] of bad) {
    it(`rejects ${Object.keys(env)[0]}=${Object.values(env)[0]} naming the key`, () => {
      assert.throws(
        () => loadConfig(env),
        (e: Error) => e instanceof ConfigError && name.test(e.message),
      );
    });
  }

  it('names the key when the value comes from a config object', () => {
    assert.throws(
      () => parseConfig({ smsGatewayHeaders: { a: 1 } }),
      (e: Error) => e instanceof ConfigError && /smsGatewayHeaders/.test(e.message),
    );
  });
});
