import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Hl7Message } from '@medplum/core';
import { Hl7Client } from '@medplum/hl7';
import iconv from 'iconv-lite';
import { MllpDecoder, mllpFrame, type ResultEvent } from '../src/modules/results/index.js';
import { criticalObservation as observation } from './support/fhir.js';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';

const FIXTURES = new URL('../../test/fixtures/hl7/', import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));

/** Opens an MLLP connection, writes `chunks` (with a pause between them) and collects `acks` ACKs. */
async function exchange(
  port: number,
  chunks: Buffer[],
  acks: number,
  opts: { pauseMs?: number; charset?: string; timeoutMs?: number } = {},
): Promise<{ acks: string[]; closed: boolean }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const decoder = new MllpDecoder(1024 * 1024);
  const got: string[] = [];
  let closed = false;
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${got.length}/${acks} ACKs`)),
      opts.timeoutMs ?? 10000,
    );
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk).frames)
        got.push(iconv.decode(f, opts.charset ?? 'utf-8'));
      if (got.length >= acks) {
        clearTimeout(timer);
        resolve();
      }
    });
    socket.on('close', () => {
      closed = true;
      if (got.length >= acks) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  for (const c of chunks) {
    socket.write(c);
    if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
  }
  await done;
  await new Promise((r) => setTimeout(r, 20));
  socket.destroy();
  return { acks: got, closed };
}

/** MSA-1 and MSA-2 of an ACK. */
function msa(ack: string): { code: string; controlId: string; msh: string[] } {
  const segs = ack.split('\r');
  const m = segs.find((s) => s.startsWith('MSA|'))!.split('|');
  return { code: m[1]!, controlId: m[2]!, msh: segs[0]!.split('|') };
}

const hl7 = (lines: string[]): Buffer => Buffer.from(lines.join('\r') + '\r', 'utf8');

function oru(controlId: string, extra: { type?: string; version?: string; charset?: string } = {}) {
  const msh = `MSH|^~\\&|LIS|LAB|KONS|HOSP|20261127101500||${extra.type ?? 'ORU^R01'}|${controlId}|P|${extra.version ?? '2.5'}`;
  return hl7([
    extra.charset ? `${msh}|||||RU|${extra.charset}` : msh,
    'PID|||4242^^^HOSP^MR||Тестов^Тест',
    'OBR|1|||K^Potassium^L',
    'OBX|1|NM|K^Potassium^L||7.1|mmol/L|3.5-5.1|HH|||F',
  ]);
}

eachDatabase('critical results ingest', (kind) => {
  let t: TestHub;
  let port: number;
  const received: ResultEvent[] = [];
  const critical: ResultEvent[] = [];

  const count = async (table = 'lab_result'): Promise<number> => {
    const rows: { n: string | number }[] = await t.hub.internals.db.manager.query(
      `SELECT count(*) AS n FROM ${table}`,
    );
    return Number(rows[0]!.n);
  };
  const feed = (value: string, system = 'HOSP') =>
    t.api.get(
      `/api/v1/results?patientSystem=${encodeURIComponent(system)}&patientValue=${encodeURIComponent(value)}`,
      { token: t.admin.token },
    );

  before(async function () {
    t = await startTestHub(kind, { mllpPort: 0, mllpMaxFrameBytes: 4096, mllpIdleSeconds: 2 });
    port = t.hub.internals.mllpAddress()!.port;
    t.hub.internals.bus.on('results.received', (e) => received.push(e));
    t.hub.internals.bus.on('results.critical_received', (e) => critical.push(e));
  });
  after(async () => t.close());
  beforeEach(async () => {
    // Alerts of earlier tests' critical results open in the background (ADR 0022):
    // each test starts from a quiet hub (audit counts, ACK timeouts under load).
    await t.hub.internals.alerting.alerts.idle();
    await t.hub.internals.escalation.settled();
    received.length = 0;
    critical.length = 0;
  });

  it('stores a UTF-8 critical ORU^R01 and acknowledges AA after commit, with the event', async function () {
    const seen: number[] = [];
    const off = t.hub.internals.bus.on('results.critical_received', () => {
      // The event comes after the commit: the row is already readable.
      void count().then((n) => seen.push(n));
    });
    const { acks } = await exchange(port, [mllpFrame(fixture('vendor-a-critical-utf8.hl7'))], 1);
    off();
    const a = msa(acks[0]!);
    assert.equal(a.code, 'AA');
    assert.equal(a.controlId, 'LAB-0001');
    // The ACK's MSH mirrors sender and receiver.
    assert.deepEqual(a.msh.slice(2, 6), ['KONSILIUM', 'HOSP', 'LIS', 'CITYLAB']);
    assert.equal(a.msh[8], 'ACK^R01^ACK');
    assert.ok(a.msh[9]!.length > 0 && a.msh[9]!.length <= 20);
    assert.equal(critical.length, 1);
    assert.equal(received.length, 1);
    const e = critical[0]!;
    assert.deepEqual(e.routing.ordering, [{ id: 'D1001', system: 'HOSP' }]);
    assert.deepEqual(e.routing.patient, [
      { system: 'HOSP', value: '100234' },
      { system: 'OMS', value: '7701234567' },
    ]);
    assert.deepEqual(e.routing.units, ['ICU', 'HOSP']);
    const r = await t.hub.internals.results.getResult(e.resultId);
    assert.ok(r);
    assert.equal(r.patient.name.family, 'Иванов');
    assert.equal(r.patient.name.middle, 'Сергеевич');
    assert.equal(r.test.code, '2823-3');
    assert.equal(r.critical, true);
    const k = r.observations[0]!;
    assert.deepEqual(
      [k.name, k.value, k.units, k.referenceRange, k.flags, k.critical],
      ['Калий', '6.9', 'mmol/L', '3.5-5.1', ['HH'], true],
    );
    assert.equal(r.observations[1]!.critical, false);
    assert.equal(r.observations[0]!.observedAt, '2026-11-27T10:05:00');
    await new Promise((res) => setTimeout(res, 50));
    assert.ok(seen[0]! >= 1);
    // Read by another identifier of the same patient.
    const byOms = await feed('7701234567', 'OMS');
    assert.equal(byOms.status, 200);
    assert.equal(byOms.body.items[0].id, e.resultId);
  });

  it('reads MSH-18 8859/5 from the raw bytes, and a Windows-1251 feed through the fallback', async function () {
    const iso = fixture('lab-8859-5.hl7');
    const win = fixture('legacy-cp1251.hl7');
    const { acks } = await exchange(port, [mllpFrame(iso), mllpFrame(win)], 2);
    assert.deepEqual(
      acks.map((x) => msa(x).code),
      ['AA', 'AA'],
    );
    assert.deepEqual(
      acks.map((x) => msa(x).controlId),
      ['K-8859-1', 'W-1251-1'],
    );
    const a = (await feed('77001')).body.items[0];
    assert.equal(a.patient.name.family, 'Кузнецова');
    assert.equal(a.observations[0].units, 'нг/мл');
    assert.equal(a.critical, true);
    const b = (await feed('88002')).body.items[0];
    assert.equal(b.patient.name.family, 'Соколов');
    assert.equal(b.test.name, 'Натрий');
    // Merely abnormal (L): stored for the feed, no critical event.
    assert.equal(b.critical, false);
    assert.equal(b.abnormal, true);
    assert.equal(critical.length, 1);
    assert.equal(received.length, 2);
  });

  it('handles other vendors: LF endings, escapes, "" fields; custom delimiters with CRLF', async function () {
    const { acks } = await exchange(
      port,
      [
        mllpFrame(fixture('vendor-b-abnormal-lf.hl7')),
        mllpFrame(fixture('vendor-c-delims-crlf.hl7')),
      ],
      2,
    );
    assert.deepEqual(
      acks.map((x) => msa(x).code),
      ['AA', 'AA'],
    );
    const b = (await feed('55501')).body.items[0];
    assert.equal(b.patient.name.middle, 'Q|R');
    assert.equal(b.observations[0].referenceRange, '120&160');
    assert.equal(b.observations[1].value, 'See \\ notes. ^ok^');
    assert.equal(b.observations[2].value, '');
    assert.equal(b.critical, false);
    const c = (await feed('12345', 'OMS')).body.items[0];
    assert.equal(c.patient.name.family, 'Smith');
    assert.deepEqual(c.ordering, [{ id: 'D77', system: 'HOSP', family: 'House', given: 'Greg' }]);
    assert.deepEqual(c.observations[0].flags, ['LL', 'A']);
    assert.equal(c.critical, true);
    assert.equal(critical.length, 1);
  });

  it('reassembles frames split across packets and several frames in one write, skipping garbage', async function () {
    const one = mllpFrame(oru('SPLIT-1'));
    const bytes: Buffer[] = [];
    for (let i = 0; i < one.length; i += 7) bytes.push(one.subarray(i, i + 7));
    const r1 = await exchange(port, bytes, 1, { pauseMs: 2 });
    assert.equal(msa(r1.acks[0]!).controlId, 'SPLIT-1');
    const many = Buffer.concat([
      Buffer.from('garbage\r\n'),
      mllpFrame(oru('MANY-1')),
      mllpFrame(oru('MANY-2')),
      mllpFrame(oru('MANY-3')).subarray(0, 20),
    ]);
    const rest = mllpFrame(oru('MANY-3')).subarray(20);
    const r2 = await exchange(port, [many, rest], 3, { pauseMs: 5 });
    assert.deepEqual(
      r2.acks.map((x) => msa(x)),
      r2.acks.map((x) => msa(x)),
    );
    assert.deepEqual(
      r2.acks.map((x) => [msa(x).code, msa(x).controlId]),
      [
        ['AA', 'MANY-1'],
        ['AA', 'MANY-2'],
        ['AA', 'MANY-3'],
      ],
    );
    assert.equal(critical.length, 4);
  });

  it('answers a standard HL7 client (@medplum/hl7 Hl7Client) with AA echoing MSH-10', async function () {
    const client = new Hl7Client({ host: '127.0.0.1', port });
    try {
      const ack = await client.sendAndWait(Hl7Message.parse(oru('CLIENT-1').toString('utf8')), {
        timeoutMs: 5000,
      });
      assert.equal(ack.getSegment('MSA')?.getField(1)?.toString(), 'AA');
      assert.equal(ack.getSegment('MSA')?.getField(2)?.toString(), 'CLIENT-1');
      assert.equal(critical.length, 1);
    } finally {
      await client.close();
    }
  });

  it('answers a sender that does not wait for ACKs, in order, one ACK per frame', async function () {
    const n = 400;
    const burst = Buffer.concat(Array.from({ length: n }, (_, i) => mllpFrame(oru(`BURST-${i}`))));
    const { acks } = await exchange(port, [burst], n);
    assert.deepEqual(
      acks.map((x) => msa(x).controlId),
      Array.from({ length: n }, (_, i) => `BURST-${i}`),
    );
    assert.ok(acks.every((x) => msa(x).code === 'AA'));
    assert.equal(critical.length, n);
  });

  it('acknowledges a duplicate AA but stores and announces it once', async function () {
    const before = await count();
    const frame = mllpFrame(oru('DUP-1'));
    const r = await exchange(port, [Buffer.concat([frame, frame])], 2);
    const r2 = await exchange(port, [frame], 1);
    assert.deepEqual(
      [...r.acks, ...r2.acks].map((x) => msa(x).code),
      ['AA', 'AA', 'AA'],
    );
    assert.equal((await count()) - before, 1);
    assert.equal(critical.length, 1);
    assert.equal(received.length, 1);
  });

  it('stores a duplicate racing on several connections once', async function () {
    const before = await count();
    const burst = Buffer.concat(Array.from({ length: 30 }, (_, i) => mllpFrame(oru(`RACE-${i}`))));
    // The losers of the race are retried one by one, each waiting for the audit
    // lock that the alerts of the winners (ADR 0022) also take: allow 30 s here.
    const results = await Promise.all(
      Array.from({ length: 6 }, () => exchange(port, [burst], 30, { timeoutMs: 30000 })),
    );
    assert.ok(results.every((r) => r.acks.every((x) => msa(x).code === 'AA')));
    assert.equal((await count()) - before, 30);
    assert.equal(critical.length, 30);
    assert.equal(new Set(critical.map((e) => e.resultId)).size, 30);
  });

  it('answers AE/AR for bad or unsupported messages and stores nothing', async function () {
    const before = [await count(), await count('lab_result_patient')];
    const auditBefore = await count('audit_log');
    const cases: [Buffer, string, string][] = [
      [oru('T-ADT', { type: 'ADT^A01' }), 'AR', 'T-ADT'],
      [oru('T-V21', { version: '2.1' }), 'AR', 'T-V21'],
      [oru('T-CS', { charset: 'KOI8-X' }), 'AE', 'T-CS'],
      [hl7(['MSH|^~\\&|LIS|LAB|KONS|HOSP|2026||ORU^R01||P|2.5', 'PID|||1^^^H']), 'AE', ''],
      [
        hl7(['MSH|^~\\&|LIS|LAB|KONS|HOSP|2026||ORU^R01|T-NOPID|P|2.5', 'OBR|1|||K']),
        'AE',
        'T-NOPID',
      ],
      [
        hl7([
          'MSH|^~\\&|LIS|LAB|KONS|HOSP|2026||ORU^R01|T-NOOBX|P|2.5',
          'PID|||1^^^H',
          'OBR|1|||K',
        ]),
        'AE',
        'T-NOOBX',
      ],
      [
        hl7([
          'MSH|^~\\&|LIS|LAB|KONS|HOSP|2026||ORU^R01|T-NOID|P|2.5',
          'PID|||""',
          'OBR|1|||K',
          'OBX|1|NM|K||1',
        ]),
        'AE',
        'T-NOID',
      ],
      [Buffer.from('this is not hl7 at all'), 'AE', ''],
    ];
    const { acks } = await exchange(
      port,
      cases.map(([m]) => mllpFrame(m)),
      cases.length,
    );
    assert.deepEqual(
      acks.map((x) => [msa(x).code, msa(x).controlId]),
      cases.map(([, code, id]) => [code, id]),
    );
    assert.ok(acks.every((x) => x.includes('\rERR|')));
    assert.deepEqual([await count(), await count('lab_result_patient')], before);
    assert.equal(await count('audit_log'), auditBefore);
    assert.equal(received.length, 0);
  });

  it('closes the connection with AE on an oversize frame, and idle connections after the timeout', async function () {
    const big = hl7([
      'MSH|^~\\&|LIS|LAB|KONS|HOSP|2026||ORU^R01|BIG-1|P|2.5',
      'PID|||1^^^H',
      'OBR|1|||K',
      `OBX|1|ST|K||${'x'.repeat(5000)}`,
    ]);
    const before = await count();
    const r = await exchange(port, [mllpFrame(big)], 1);
    assert.equal(msa(r.acks[0]!).code, 'AE');
    assert.equal(msa(r.acks[0]!).controlId, 'BIG-1');
    assert.equal(r.closed, true);
    assert.equal(await count(), before);
    const socket = connect(port, '127.0.0.1');
    const started = Date.now();
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    assert.ok(Date.now() - started >= 1500);
  });

  it('keeps patient names out of logs and audit rows', async function () {
    const audit: { details: string }[] = await t.hub.internals.db.manager.query(
      "SELECT details FROM audit_log WHERE action = 'results.received'",
    );
    assert.ok(audit.length >= 5);
    const text = t.logs.join('') + audit.map((a) => a.details).join('');
    for (const name of ['Иванов', 'Кузнецова', 'Соколов', 'Smith', '100234', '7701234567'])
      assert.ok(!text.includes(name), `${name} leaked`);
  });

  describe('FHIR endpoint', function () {
    let integration: { token: string };
    let clinician: { token: string };
    const fhir = (
      path: string,
      body: unknown,
      token: string | null,
      type = 'application/fhir+json',
    ) =>
      t.api.request('POST', path, {
        token,
        rawBody: typeof body === 'string' ? body : JSON.stringify(body),
        headers: { 'content-type': type },
      });

    before(async () => {
      integration = await t.makeUser({ roles: ['integration'] });
      clinician = await t.makeUser({ roles: ['clinician'] });
    });

    it('accepts a critical Observation once, with its ordering clinician', async function () {
      const res = await fhir('/api/v1/fhir/Observation', observation('OBS-1'), integration.token);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.resourceType, 'OperationOutcome');
      assert.equal(critical.length, 1);
      assert.deepEqual(critical[0]!.routing.ordering, [{ id: 'D1001', system: 'HOSP' }]);
      const again = await fhir('/api/v1/fhir/Observation', observation('OBS-1'), integration.token);
      assert.equal(again.status, 200);
      assert.equal(critical.length, 1);
      const f = (await feed('F-1')).body.items;
      assert.equal(f.length, 1);
      assert.equal(f[0].patient.name.family, 'Фёдоров');
      assert.equal(f[0].observations[0].referenceRange, '3.5-5.1');
      // A normal one is stored without the critical event.
      const n = await fhir(
        '/api/v1/fhir/Observation',
        observation('OBS-2', 'N'),
        integration.token,
      );
      assert.equal(n.status, 201);
      assert.equal(critical.length, 1);
      assert.equal(received.length, 2);
    });

    it('accepts a DiagnosticReport with contained Observations and a Bundle with referenced ones', async function () {
      const obs = {
        ...observation('x'),
        id: 'o1',
        contained: undefined,
        subject: undefined,
        basedOn: undefined,
      };
      const report = {
        resourceType: 'DiagnosticReport',
        id: 'dr1',
        status: 'final',
        code: { text: 'Электролиты' },
        subject: { identifier: { system: 'HOSP', value: 'F-2' } },
        result: [{ reference: '#o1' }],
        contained: [obs],
      };
      const r = await fhir(
        '/api/v1/fhir/DiagnosticReport',
        report,
        integration.token,
        'application/json',
      );
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const bundle = {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [
          {
            fullUrl: 'urn:uuid:rep',
            resource: {
              ...report,
              id: 'dr2',
              contained: undefined,
              result: [{ reference: 'urn:uuid:o' }],
            },
          },
          { fullUrl: 'urn:uuid:o', resource: { ...obs, id: 'o2' } },
        ],
      };
      const b = await fhir('/api/v1/fhir/DiagnosticReport', bundle, integration.token);
      assert.equal(b.status, 201, JSON.stringify(b.body));
      const items = (await feed('F-2')).body.items;
      assert.equal(items.length, 2);
      assert.ok(items.every((i: { critical: boolean }) => i.critical));
      assert.equal(critical.length, 2);
    });

    it('refuses bad input with an OperationOutcome and changes nothing; checks permissions', async function () {
      const before = await count();
      const bad: [unknown, number][] = [
        ['{not json', 400],
        [{ ...observation('B1'), status: 'nonsense' }, 400],
        [{ ...observation('B2'), contained: [], subject: { reference: '#p' } }, 400],
        [{ resourceType: 'Patient' }, 400],
        [{ ...observation('B3'), code: {} }, 400],
      ];
      for (const [body, status] of bad) {
        const res = await fhir('/api/v1/fhir/Observation', body, integration.token);
        assert.equal(res.status, status);
        assert.equal(res.body.resourceType, 'OperationOutcome');
        assert.equal(res.body.issue[0].severity, 'error');
      }
      const report = {
        resourceType: 'DiagnosticReport',
        status: 'final',
        code: { text: 'x' },
        subject: { identifier: { value: '1' } },
        result: [{ reference: '#nope' }],
      };
      assert.equal(
        (await fhir('/api/v1/fhir/DiagnosticReport', report, integration.token)).status,
        400,
      );
      assert.equal(
        (await fhir('/api/v1/fhir/Observation', observation('B4'), integration.token, 'text/plain'))
          .status,
        415,
      );
      assert.equal(
        (await fhir('/api/v1/fhir/Observation', observation('B5'), clinician.token)).status,
        403,
      );
      assert.equal((await fhir('/api/v1/fhir/Observation', observation('B6'), null)).status, 401);
      assert.equal(await count(), before);
      assert.equal(received.length, 0);
      // The feed: clinicians read it, the integration account does not.
      assert.equal(
        (await t.api.get('/api/v1/results?patientValue=F-1', { token: clinician.token })).status,
        200,
      );
      assert.equal(
        (await t.api.get('/api/v1/results?patientValue=F-1', { token: integration.token })).status,
        403,
      );
      assert.equal((await t.api.get('/api/v1/results', { token: clinician.token })).status, 400);
    });
  });
});
