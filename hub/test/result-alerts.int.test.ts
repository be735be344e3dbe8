import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import type { MessageView } from '@konsilium/shared';
import { createHub, type Hub } from '../src/hub.js';
import { LAB_SENDER_ID } from '../src/modules/alerting/index.js';
import { conversationIdFor, messageIdFor } from '../src/modules/alerting/alerting.text.js';
import { verifyAuditChain } from '../src/modules/audit/index.js';
import { MllpDecoder, mllpFrame } from '../src/modules/results/index.js';
import { SYSTEM } from '../src/platform/http/actor.js';
import { auditActions, makeRole, makeShift } from './rosters/setup.js';
import { criticalObservation } from './support/fhir.js';
import { eachDatabase } from './support/databases.js';
import { makeOrgAndSite } from './support/factories.js';
import { Api } from './support/http.js';
import { startTestHub, type TestHub } from './support/hub.js';

const FIXTURES = new URL('../../test/fixtures/hl7/', import.meta.url);
/** The real-looking critical ORU^R01 (UTF-8, Cyrillic, Z-segment) of the ingest tests. */
const VENDOR_A = readFileSync(new URL('vendor-a-critical-utf8.hl7', FIXTURES), 'utf8');
const VENDOR_B = readFileSync(new URL('vendor-b-abnormal-lf.hl7', FIXTURES), 'utf8');

/** The vendor-A message with another control id, ordering clinician id and PV1-3 unit. */
function critical(controlId: string, opts: { doctor?: string; unit?: string } = {}): Buffer {
  let text = VENDOR_A.replace('|LAB-0001|', `|${controlId}|`);
  if (opts.doctor) text = text.replaceAll('D1001^Смирнова', `${opts.doctor}^Смирнова`);
  if (opts.unit) text = text.replace('PV1|1|I|ICU^12^1^HOSP', `PV1|1|I|${opts.unit}^12^1^NOHOSP`);
  return mllpFrame(Buffer.from(text, 'utf8'));
}

/** Sends frames over one MLLP connection and returns the MSA-1 codes of the ACKs. */
async function send(port: number, frames: Buffer[]): Promise<string[]> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const decoder = new MllpDecoder(1024 * 1024);
  const codes: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${codes.length} ACKs`)), 15000);
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk).frames) {
        const msa = f
          .toString('utf8')
          .split('\r')
          .find((s) => s.startsWith('MSA|'))!;
        codes.push(msa.split('|')[1]!);
      }
      if (codes.length >= frames.length) {
        clearTimeout(timer);
        resolve();
      }
    });
    for (const f of frames) socket.write(f);
  });
  socket.destroy();
  return codes;
}

interface AlertInfo {
  resultId: string;
  state: string;
  rule: string;
  unitId: string | null;
  roleId: string | null;
  targets: { id: string; fullName: string }[];
  alertId: string | null;
  alertState: string | null;
  messageId: string;
  conversationId: string;
  readBack: { value: string; action: string; at: string; by: { id: string } } | null;
}

async function until<T>(what: string, probe: () => Promise<T | null>, ms = 10000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The newest stored result id (results are ingested one per test step). */
async function newestResultId(hub: Hub, controlId: string): Promise<string> {
  const rows: { id: string }[] = await hub.internals.db.manager.query(
    hub.internals.db.kind === 'postgres'
      ? 'SELECT id FROM lab_result WHERE control_id = $1'
      : 'SELECT id FROM lab_result WHERE control_id = ?',
    [controlId],
  );
  assert.equal(rows.length, 1, `one stored result for ${controlId}`);
  return rows[0]!.id;
}

async function count(hub: Hub, table: string): Promise<number> {
  const rows: { n: string | number }[] = await hub.internals.db.manager.query(
    `SELECT count(*) AS n FROM ${table}`,
  );
  return Number(rows[0]!.n);
}

/** Waits until the result's alert is opened; returns `GET /api/v1/results/{id}/alert`. */
async function openedAlert(api: Api, token: string, resultId: string): Promise<AlertInfo> {
  return until(`alert of ${resultId}`, async () => {
    const r = await api.get(`/api/v1/results/${resultId}/alert`, { token });
    return r.status === 200 && (r.body as AlertInfo).state === 'opened'
      ? (r.body as AlertInfo)
      : null;
  });
}

async function conversationOf(api: Api, token: string, id: string) {
  const r = await api.get('/api/v1/conversations', { token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const c = (r.body as { items: { id: string; patient: unknown }[] }).items.find(
    (x) => x.id === id,
  );
  assert.ok(c, 'the alert conversation is listed for its target');
  return c;
}

async function messagesOf(api: Api, token: string, conversationId: string) {
  const r = await api.get(`/api/v1/conversations/${conversationId}/messages`, { token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (r.body as { items: MessageView[] }).items;
}

eachDatabase('critical results → alerts', (kind) => {
  let t: TestHub;
  let port: number;
  let icu: { id: string };
  let smirnova: { id: string; token: string };
  let petrov: { id: string; token: string };
  let roleId: string;

  before(async function () {
    t = await startTestHub(kind, { mllpPort: 0 });
    port = t.hub.internals.mllpAddress()!.port;
    const { site } = await makeOrgAndSite(t);
    icu = await t.hub.internals.directory.createUnit(SYSTEM, {
      kind: 'department',
      name: 'Реанимация',
      code: 'ICU',
      parentId: site.id,
    });
    smirnova = await t.makeUser({
      lastName: 'Смирнова',
      firstName: 'Анна',
      roles: ['clinician'],
      externalIds: [{ system: 'HOSP', value: 'D1001' }],
    });
    petrov = await t.makeUser({ lastName: 'Петров', firstName: 'Пётр', roles: ['clinician'] });
    const coordinator = await t.makeUser({ lastName: 'Координаторова', roles: ['coordinator'] });
    roleId = (
      await makeRole(t, coordinator.token, { name: 'Дежурный реаниматолог', unitId: icu.id })
    ).id;
    // The hub's clock stands at 2026-11-27T09:00Z: Петров is on call.
    await makeShift(t, coordinator.token, {
      roleId,
      userId: petrov.id,
      start: '2026-11-27T08:00:00+03:00',
      end: '2026-11-28T08:00:00+03:00',
    });
  });
  after(async () => t.close());

  it('routes a critical ORU^R01 to the ordering clinician matched by external id', async function () {
    assert.deepEqual(await send(port, [critical('RA-1')]), ['AA']);
    const resultId = await newestResultId(t.hub, 'RA-1');
    const a = await openedAlert(t.api, smirnova.token, resultId);
    assert.equal(a.rule, 'ordering_clinician');
    assert.deepEqual(
      a.targets.map((p) => p.id),
      [smirnova.id],
    );
    assert.equal(a.unitId, icu.id);
    assert.ok(a.alertId);

    // The message: from the laboratory, critical order, bound to the patient, with the values.
    const conv = await conversationOf(t.api, smirnova.token, a.conversationId);
    assert.deepEqual(conv.patient, {
      system: 'HOSP',
      value: '100234',
      label: 'Иванов Пётр Сергеевич',
    });
    const [m, ...rest] = await messagesOf(t.api, smirnova.token, a.conversationId);
    assert.equal(rest.length, 0);
    assert.equal(m!.id, a.messageId);
    assert.equal(m!.authorId, LAB_SENDER_ID);
    assert.equal(m!.priority, 'critical');
    assert.equal(m!.kind, 'order');
    for (const part of ['Калий', '2823-3', '6.9 mmol/L', 'норма 3.5-5.1', 'флаг HH', '100234'])
      assert.ok(m!.text.includes(part), `${part} in ${m!.text}`);
    assert.ok(!m!.text.includes('Натрий'), 'only the critical observation');

    // The escalation module sees the subject through the AlertSubjects port.
    const d = await t.hub.internals.alertSubjects.describe({ type: 'lab_result', id: resultId });
    assert.deepEqual(d, {
      patient: {
        identifiers: [
          { system: 'HOSP', value: '100234' },
          { system: 'OMS', value: '7701234567' },
        ],
        name: 'Иванов Пётр Сергеевич',
      },
      result: {
        resultId,
        test: { code: '2823-3', display: 'Калий' },
        value: '6.9',
        units: 'mmol/L',
        referenceRange: '3.5-5.1',
        flag: 'HH',
        observedAt: d!.result.observedAt,
      },
    });
    // OBX-14 without a zone is kept as sent (ADR 0018).
    assert.equal(d.result.observedAt, '2026-11-27T10:05:00');
    assert.equal(
      await t.hub.internals.alertSubjects.describe({ type: 'lab_result', id: petrov.id }),
      null,
    );

    // The routing decision is audited without patient data; nothing of the patient in logs.
    const routed = (await auditActions(t, 'results.alert_routed')).filter(
      (r) => r.targetId === resultId,
    );
    assert.equal(routed.length, 1);
    assert.deepEqual(routed[0]!.details, {
      rule: 'ordering_clinician',
      targets: 1,
      orderingNamed: 1,
      orderingMatched: 1,
      unitId: icu.id,
    });
    assert.equal(routed[0]!.actorId, LAB_SENDER_ID);
    const opened = (await auditActions(t, 'results.alert_opened')).filter(
      (r) => r.targetId === resultId,
    );
    assert.equal(opened.length, 1);
    assert.equal(opened[0]!.details.alertId, a.alertId);
    const logs = t.logs.join('');
    for (const secret of ['Иванов', '100234', '7701234567', 'Калий'])
      assert.ok(!logs.includes(secret), `${secret} must not be logged`);
  });

  it('a burst of critical results opens each alert once, a wave in one transaction', async function () {
    const ids = Array.from({ length: 24 }, (_, n) => `RB-${n}`);
    // Four laboratory connections at once, six results each.
    const codes = (
      await Promise.all(
        [0, 1, 2, 3].map((c) =>
          send(
            port,
            ids.slice(c * 6, c * 6 + 6).map((id) => critical(id)),
          ),
        ),
      )
    ).flat();
    assert.deepEqual(
      codes,
      ids.map(() => 'AA'),
    );
    const resultIds = await Promise.all(ids.map((id) => newestResultId(t.hub, id)));
    const alerts = await Promise.all(resultIds.map((id) => openedAlert(t.api, smirnova.token, id)));
    await t.hub.internals.alerting.alerts.idle();
    const db = t.hub.internals.db.manager;
    const list = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ');
    for (const [i, a] of alerts.entries()) {
      assert.equal(a.rule, 'ordering_clinician');
      // Opened together: the conversation has the id derived from the result.
      assert.equal(a.conversationId, conversationIdFor(resultIds[i]!));
      assert.equal(a.messageId, messageIdFor(resultIds[i]!));
    }
    const per = async (sql: string) => Number((await db.query(sql))[0].n);
    const conversations = alerts.map((a) => a.conversationId);
    assert.equal(
      await per(`SELECT count(*) AS n FROM conversation WHERE id IN (${list(conversations)})`),
      24,
    );
    assert.equal(
      await per(
        `SELECT count(*) AS n FROM message WHERE conversation_id IN (${list(conversations)})`,
      ),
      24,
    );
    assert.equal(
      await per(
        `SELECT count(*) AS n FROM escalation WHERE conversation_id IN (${list(conversations)})`,
      ),
      24,
    );
    assert.equal(
      await per(`SELECT count(*) AS n FROM result_alert WHERE result_id IN (${list(resultIds)})`),
      24,
    );
    // The first alert.updated of each went to the ordering clinician with the commit.
    const updates = await db.query<{ data: string }[]>(
      `SELECT data FROM stream_event WHERE type = 'alert.updated' AND user_id = '${smirnova.id}'`,
    );
    const alertIds = new Set(updates.map((u) => (JSON.parse(u.data) as { id: string }).id));
    for (const a of alerts) assert.ok(alertIds.has(a.alertId!), `alert.updated for ${a.alertId}`);
    const opened = (await auditActions(t, 'results.alert_opened')).filter((r) =>
      resultIds.includes(r.targetId!),
    );
    assert.equal(opened.length, 24);
    const chain = await verifyAuditChain(db);
    assert.equal(chain.ok, true, JSON.stringify(chain));
  });
  it('the alert shows the result; the read-back given on ack is exposed on the result', async function () {
    assert.deepEqual(await send(port, [critical('RA-RB')]), ['AA']);
    const resultId = await newestResultId(t.hub, 'RA-RB');
    const a = await openedAlert(t.api, smirnova.token, resultId);
    await t.hub.internals.escalation.settled();
    const view = await t.api.get(`/api/v1/alerts/${a.alertId}`, { token: smirnova.token });
    assert.equal(view.status, 200, JSON.stringify(view.body));
    assert.equal(view.body.kind, 'critical_result');
    assert.equal(view.body.priority, 'critical');
    assert.equal(view.body.messageId, a.messageId);
    assert.equal(view.body.patient.name, 'Иванов Пётр Сергеевич');
    assert.deepEqual(
      [view.body.result.value, view.body.result.units, view.body.result.flag],
      ['6.9', 'mmol/L', 'HH'],
    );
    const notified = (view.body.timeline as { type: string; targets?: { id: string }[] }[]).find(
      (e) => e.type === 'notified',
    );
    assert.deepEqual(
      notified?.targets?.map((p) => p.id),
      [smirnova.id],
    );
    // Only our escalation runs for the laboratory's message (messaging.sent started none).
    const all = await t.api.get('/api/v1/alerts?state=all', { token: t.admin.token });
    assert.equal(
      (all.body.items as { messageId: string }[]).filter((x) => x.messageId === a.messageId).length,
      1,
    );
    assert.equal(a.readBack, null);
    assert.equal(a.alertState, 'open');

    const ack = await t.api.post(
      `/api/v1/alerts/${a.alertId}/ack`,
      { response: 'accepted', readBack: { value: '6,9', action: 'Глюконат кальция в/в, ЭКГ' } },
      { token: smirnova.token },
    );
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    const after = await t.api.get(`/api/v1/results/${resultId}/alert`, { token: t.admin.token });
    assert.equal(after.status, 200);
    assert.equal(after.body.alertState, 'acknowledged');
    assert.equal(after.body.readBack.value, '6,9');
    assert.equal(after.body.readBack.action, 'Глюконат кальция в/в, ЭКГ');
    assert.equal(after.body.readBack.by.id, smirnova.id);
    assert.equal(after.body.readBack.at, t.clock.now().toISOString());
    assert.equal(after.body.acknowledgedBy.id, smirnova.id);
  });

  it('without a matching clinician routes to whoever is on call for the unit', async function () {
    assert.deepEqual(await send(port, [critical('RA-2', { doctor: 'D9999' })]), ['AA']);
    const resultId = await newestResultId(t.hub, 'RA-2');
    const a = await openedAlert(t.api, petrov.token, resultId);
    assert.equal(a.rule, 'unit_on_call');
    assert.equal(a.roleId, roleId);
    assert.deepEqual(
      a.targets.map((p) => p.id),
      [petrov.id],
    );
    const [m] = await messagesOf(t.api, petrov.token, a.conversationId);
    assert.equal(m!.priority, 'critical');
    // Смирнова is not a member of this alert's conversation.
    const other = await t.api.get(`/api/v1/conversations/${a.conversationId}/messages`, {
      token: smirnova.token,
    });
    assert.equal(other.status, 403);
  });

  it('with nobody to route to falls back to the escalation fail-safe', async function () {
    assert.deepEqual(await send(port, [critical('RA-3', { doctor: 'D9999', unit: 'NOWHERE' })]), [
      'AA',
    ]);
    const resultId = await newestResultId(t.hub, 'RA-3');
    const a = await openedAlert(t.api, t.admin.token, resultId);
    assert.equal(a.rule, 'fail_safe');
    assert.equal(a.unitId, null);
    // The built-in critical plan's fail-safe: the hub's administrators.
    assert.ok(a.targets.some((p) => p.id === t.admin.id));
    assert.ok(!a.targets.some((p) => p.id === smirnova.id || p.id === petrov.id));
  });

  it('opens no alert for normal and merely abnormal results', async function () {
    const normal = VENDOR_A.replace('|LAB-0001|', '|RA-N|').replace('|HH|', '|N|');
    const abnormal = VENDOR_B.replace(/\n/g, '\r').replace('|ALT-55|', '|RA-AB|');
    assert.deepEqual(
      await send(port, [mllpFrame(Buffer.from(normal)), mllpFrame(Buffer.from(abnormal))]),
      ['AA', 'AA'],
    );
    const ids = [await newestResultId(t.hub, 'RA-N'), await newestResultId(t.hub, 'RA-AB')];
    await t.hub.internals.alerting.alerts.idle();
    for (const id of ids) {
      const r = await t.api.get(`/api/v1/results/${id}/alert`, { token: t.admin.token });
      assert.equal(r.status, 404);
      assert.equal(r.body.error.code, 'results.alert_not_found');
    }
  });

  it('a duplicate (same MSH-10, same sender) opens no second alert', async function () {
    const before = await count(t.hub, 'result_alert');
    assert.deepEqual(await send(port, [critical('RA-D'), critical('RA-D')]), ['AA', 'AA']);
    assert.deepEqual(await send(port, [critical('RA-D')]), ['AA']);
    const resultId = await newestResultId(t.hub, 'RA-D');
    const a = await openedAlert(t.api, smirnova.token, resultId);
    await t.hub.internals.alerting.alerts.idle();
    // Handling the same result again (a replayed event, a sweep) changes nothing.
    t.hub.internals.bus.emit('results.critical_received', {
      resultId,
      source: 'hl7v2',
      critical: true,
      testCode: '2823-3',
      routing: { ordering: [], patient: [], units: [] },
    });
    await t.hub.internals.alerting.alerts.sweep();
    await t.hub.internals.alerting.alerts.idle();
    assert.equal(await count(t.hub, 'result_alert'), before + 1);
    assert.equal((await messagesOf(t.api, smirnova.token, a.conversationId)).length, 1);
    const opened = (await auditActions(t, 'results.alert_opened')).filter(
      (r) => r.targetId === resultId,
    );
    assert.equal(opened.length, 1);
    const again = await t.api.get(`/api/v1/results/${resultId}/alert`, { token: t.admin.token });
    assert.equal(again.body.alertId, a.alertId);
  });

  it('a FHIR Observation with a critical interpretation opens an alert', async function () {
    const integration = await t.makeUser({ roles: ['integration'] });
    const body = criticalObservation('RA-FHIR-1');
    const res = await t.api.post('/api/v1/fhir/Observation', undefined, {
      token: integration.token,
      rawBody: JSON.stringify(body),
      headers: { 'content-type': 'application/fhir+json' },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const resultId = (res.body.issue as { details: { coding: { code: string }[] } }[])[0]!.details
      .coding[0]!.code;
    const a = await openedAlert(t.api, smirnova.token, resultId);
    assert.equal(a.rule, 'ordering_clinician');
    const conv = await conversationOf(t.api, smirnova.token, a.conversationId);
    assert.deepEqual(conv.patient, { system: 'HOSP', value: 'F-1', label: 'Фёдоров Фёдор' });
    const [m] = await messagesOf(t.api, smirnova.token, a.conversationId);
    assert.ok(m!.text.includes('7.2 mmol/L'), m!.text);
  });

  it('refuses a malformed result id and needs results.read', async function () {
    const bad = await t.api.get('/api/v1/results/not-a-uuid/alert', { token: t.admin.token });
    assert.equal(bad.status, 400);
    const nurse = await t.makeUser({ roles: [] });
    const denied = await t.api.get(`/api/v1/results/${petrov.id}/alert`, { token: nurse.token });
    assert.equal(denied.status, 403);
  });
});

eachDatabase('critical results → alerts across a restart', (kind) => {
  let t: TestHub | undefined;
  after(async () => t?.close());

  it('an alert that cannot be sent stays pending, audited once, and opens after the cause is gone', async function () {
    // The alert text does not fit a 256-byte message limit: sending fails.
    const small = await startTestHub(kind, { mllpPort: 0, maxMessageBytes: 256 });
    try {
      await small.makeUser({
        lastName: 'Смирнова',
        firstName: 'Анна',
        roles: ['clinician'],
        externalIds: [{ system: 'HOSP', value: 'D1001' }],
      });
      const port = small.hub.internals.mllpAddress()!.port;
      assert.deepEqual(await send(port, [critical('RP-1')]), ['AA']);
      const resultId = await newestResultId(small.hub, 'RP-1');
      const pending = await until('a pending alert row', async () => {
        const r = await small.api.get(`/api/v1/results/${resultId}/alert`, {
          token: small.admin.token,
        });
        return r.status === 200 ? (r.body as AlertInfo) : null;
      });
      assert.equal(pending.state, 'pending');
      assert.equal(pending.alertId, null);
      // Retried (sweep), still failing: one failure audit, the row stays pending.
      await small.hub.internals.alerting.alerts.sweep();
      await small.hub.internals.alerting.alerts.idle();
      const failed = (await auditActions(small, 'results.alert_failed')).filter(
        (r) => r.targetId === resultId,
      );
      assert.equal(failed.length, 1);
      assert.deepEqual(failed[0]!.details, { error: 'messaging.text_too_long' });
      await small.hub.stop();
      // The same database with the default limit: the start-up sweep opens it, once.
      const hub = createHub(
        { ...small.hub.config, maxMessageBytes: 16 * 1024 },
        { clock: small.clock, logDestination: new Writable({ write: (_c, _e, cb) => cb() }) },
      );
      await hub.start();
      try {
        const a = await openedAlert(new Api(hub.url()), small.admin.token, resultId);
        assert.equal(a.rule, 'ordering_clinician');
        assert.ok(a.alertId);
        await hub.internals.alerting.alerts.idle();
        assert.equal(await count(hub, 'result_alert'), 1);
      } finally {
        await hub.stop();
      }
    } finally {
      await small.close();
    }
  });

  it('a result committed before the hub died is alerted after restart, exactly once', async function () {
    t = await startTestHub(kind, { mllpPort: 0 });
    const doctor = await t.makeUser({
      lastName: 'Смирнова',
      firstName: 'Анна',
      roles: ['clinician'],
      externalIds: [{ system: 'HOSP', value: 'D1001' }],
    });
    // The hub "dies" between the result's commit and its alert: alerting stops
    // handling events, the result is stored and acknowledged, the hub stops.
    await t.hub.internals.alerting.alerts.stop();
    const port = t.hub.internals.mllpAddress()!.port;
    assert.deepEqual(await send(port, [critical('RS-1'), critical('RS-2')]), ['AA', 'AA']);
    const ids = [await newestResultId(t.hub, 'RS-1'), await newestResultId(t.hub, 'RS-2')];
    assert.equal(await count(t.hub, 'result_alert'), 0);
    await t.hub.stop();

    const { config, clock } = { config: t.hub.config, clock: t.clock };
    const start = async () => {
      const hub = createHub(config, {
        clock,
        logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
      });
      await hub.start();
      return hub;
    };
    let hub = await start();
    try {
      const api = new Api(hub.url());
      const token = await (async () => {
        const r = await api.post('/api/v1/auth/login', {
          login: (await hub.internals.directory.getUser(doctor.id)).login,
          password: 'correct-horse-battery',
        });
        return r.body.token as string;
      })();
      const first = [];
      for (const id of ids) first.push(await openedAlert(api, token, id));
      await hub.internals.alerting.alerts.idle();
      await hub.stop();
      // Another restart finds nothing to do: still one alert, one message each.
      hub = await start();
      await hub.internals.alerting.alerts.sweep();
      await hub.internals.alerting.alerts.idle();
      assert.equal(await count(hub, 'result_alert'), 2);
      for (const a of first) {
        const now = await openedAlert(new Api(hub.url()), token, a.resultId);
        assert.equal(now.alertId, a.alertId);
        assert.equal(now.messageId, a.messageId);
      }
      const rows: { n: string | number }[] = await hub.internals.db.manager.query(
        "SELECT count(*) AS n FROM audit_log WHERE action = 'results.alert_opened'",
      );
      assert.equal(Number(rows[0]!.n), 2);
      const msgs: { n: string | number }[] = await hub.internals.db.manager.query(
        hub.internals.db.kind === 'postgres'
          ? 'SELECT count(*) AS n FROM message WHERE author_id = $1'
          : 'SELECT count(*) AS n FROM message WHERE author_id = ?',
        [LAB_SENDER_ID],
      );
      assert.equal(Number(msgs[0]!.n), 2);
    } finally {
      await hub.stop();
    }
  });
});
