import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AlertView } from '@konsilium/shared';
import { AuditRowEntity } from '../src/modules/audit/index.js';
import { EscalationEntity } from '../src/modules/escalation/escalation.entity.js';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';
import { makeRole } from './rosters/setup.js';
import {
  alertOf,
  escalationWorld,
  makePolicy,
  send,
  settle,
  type World,
} from './escalation/setup.js';

const policy = (w: World, over: Record<string, unknown> = {}) => ({
  name: 'Политика',
  unitId: null,
  match: { priorities: ['critical'], kinds: ['message'] },
  steps: [{ type: 'notify' }, { type: 'wait', seconds: 60 }],
  failSafe: { kind: 'user', id: w.chief.id },
  ...over,
});

eachDatabase('escalation: validation and permissions', (kind) => {
  let t: TestHub;
  let w: World;
  beforeEach(async () => {
    t = await startTestHub(kind);
    w = await escalationWorld(t);
  });
  afterEach(async () => t.close());

  const policyCount = async () =>
    (await t.api.get('/api/v1/escalation/policies', { token: t.admin.token })).body.items
      .length as number;
  const auditCount = async () => t.hub.internals.db.manager.countBy(AuditRowEntity, {});

  it('refuses every bad policy with a stable code and stores nothing', async () => {
    const inactive = await makeRole(t, w.coordinator.token, {
      name: 'Старая роль',
      unitId: w.unit.id,
    });
    await t.api.patch(
      `/api/v1/rosters/roles/${inactive.id}`,
      { active: false },
      { token: w.coordinator.token },
    );
    const cases: [Record<string, unknown>, number, string, string?][] = [
      [{ ...policy(w), name: '' }, 400, 'validation.invalid', 'name'],
      [{ ...policy(w), name: 'x'.repeat(201) }, 400, 'validation.invalid', 'name'],
      [{ ...policy(w), unitId: 'not-a-uuid' }, 400, 'validation.invalid', 'unitId'],
      [{ ...policy(w), unitId: randomUUID() }, 404, 'directory.unit_not_found', 'unitId'],
      [{ ...policy(w), match: { priorities: [], kinds: ['message'] } }, 400, 'validation.invalid'],
      [
        { ...policy(w), match: { priorities: ['normal'], kinds: ['message'] } },
        400,
        'validation.invalid',
      ],
      [
        { ...policy(w), match: { priorities: ['critical'], kinds: ['memo'] } },
        400,
        'validation.invalid',
      ],
      [{ ...policy(w), steps: [] }, 400, 'validation.invalid', 'steps'],
      [{ ...policy(w), steps: [{ type: 'teleport' }] }, 400, 'validation.invalid'],
      [{ ...policy(w), steps: [{ type: 'wait', seconds: 0 }] }, 400, 'validation.invalid'],
      [{ ...policy(w), steps: [{ type: 'wait', seconds: 1.5 }] }, 400, 'validation.invalid'],
      [{ ...policy(w), steps: [{ type: 'wait' }] }, 400, 'validation.invalid'],
      [
        { ...policy(w), steps: [{ type: 'repeat', everySeconds: 30, times: 0 }] },
        400,
        'validation.invalid',
      ],
      [{ ...policy(w), steps: [{ type: 'repeat_chain', times: 11 }] }, 400, 'validation.invalid'],
      [
        { ...policy(w), steps: [{ type: 'external', channel: 'pager' }] },
        400,
        'validation.invalid',
      ],
      [{ ...policy(w), steps: [{ type: 'notify', extra: 1 }] }, 400, 'validation.invalid'],
      [
        { ...policy(w), steps: [{ type: 'backup', target: { kind: 'team', id: w.backup.id } }] },
        400,
        'validation.invalid',
      ],
      [
        { ...policy(w), steps: [{ type: 'backup', target: { kind: 'user', id: randomUUID() } }] },
        400,
        'escalation.invalid_target',
        'steps.0.target.id',
      ],
      [
        { ...policy(w), steps: [{ type: 'backup', target: { kind: 'role', id: inactive.id } }] },
        400,
        'escalation.invalid_target',
        'steps.0.target.id',
      ],
      [{ ...policy(w), failSafe: undefined }, 400, 'validation.invalid', 'failSafe'],
      [
        { ...policy(w), failSafe: { kind: 'role', id: randomUUID() } },
        400,
        'escalation.invalid_target',
        'failSafe.id',
      ],
      [{ ...policy(w), surprise: true }, 400, 'validation.invalid'],
    ];
    const before = await auditCount();
    for (const [body, status, code, field] of cases) {
      const r = await t.api.post('/api/v1/escalation/policies', body, { token: t.admin.token });
      assert.equal(r.status, status, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, code, JSON.stringify(body));
      if (field) assert.equal(r.body.error.field, field, JSON.stringify(r.body));
    }
    assert.equal(await policyCount(), 0);
    assert.equal(await auditCount(), before);
    const bad = await t.api.post('/api/v1/escalation/policies', undefined, {
      token: t.admin.token,
      rawBody: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'http.malformed_json');
    // Update and delete of an unknown policy; a bad update leaves the policy as it was.
    const id = await makePolicy(t, policy(w));
    const unknown = await t.api.put(`/api/v1/escalation/policies/${randomUUID()}`, policy(w), {
      token: t.admin.token,
    });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'escalation.policy_not_found');
    const gone = await t.api.delete(`/api/v1/escalation/policies/${randomUUID()}`, {
      token: t.admin.token,
    });
    assert.equal(gone.body.error.code, 'escalation.policy_not_found');
    const worse = await t.api.put(
      `/api/v1/escalation/policies/${id}`,
      { ...policy(w), steps: [] },
      { token: t.admin.token },
    );
    assert.equal(worse.status, 400);
    const list = await t.api.get('/api/v1/escalation/policies', { token: t.admin.token });
    assert.equal(list.body.items[0].steps.length, 2);
    // Duty administrators: unknown unit, unknown role.
    const du = await t.api.put(
      `/api/v1/escalation/duty-admins/${randomUUID()}`,
      { roleId: null },
      { token: t.admin.token },
    );
    assert.equal(du.body.error.code, 'directory.unit_not_found');
    const dr = await t.api.put(
      `/api/v1/escalation/duty-admins/${w.unit.id}`,
      { roleId: randomUUID() },
      { token: t.admin.token },
    );
    assert.equal(dr.body.error.code, 'escalation.invalid_target');
    const dx = await t.api.put(
      `/api/v1/escalation/duty-admins/${w.unit.id}`,
      { roleId: 5 },
      { token: t.admin.token },
    );
    assert.equal(dx.body.error.code, 'validation.invalid');
  });

  it('policy changes are audited; managing needs escalation.manage', async () => {
    const id = await makePolicy(t, policy(w));
    const up = await t.api.put(
      `/api/v1/escalation/policies/${id}`,
      { ...policy(w), name: 'Новая' },
      { token: t.admin.token },
    );
    assert.equal(up.status, 200);
    assert.equal(up.body.name, 'Новая');
    const del = await t.api.delete(`/api/v1/escalation/policies/${id}`, { token: t.admin.token });
    assert.equal(del.status, 204);
    const audit = await t.hub.internals.db.manager.findBy(AuditRowEntity, { targetId: id });
    assert.deepEqual(audit.map((r) => r.action).sort(), [
      'escalation.policy.create',
      'escalation.policy.delete',
      'escalation.policy.update',
    ]);
    for (const token of [w.ivanov.token, w.coordinator.token]) {
      for (const [method, path] of [
        ['GET', '/api/v1/escalation/policies'],
        ['POST', '/api/v1/escalation/policies'],
        ['PUT', `/api/v1/escalation/policies/${id}`],
        ['DELETE', `/api/v1/escalation/policies/${id}`],
        ['GET', '/api/v1/escalation/duty-admins'],
        ['PUT', `/api/v1/escalation/duty-admins/${w.unit.id}`],
      ] as const) {
        const r = await t.api.request(method, path, {
          token,
          body: method === 'POST' || method === 'PUT' ? policy(w) : undefined,
        });
        assert.equal(r.status, 403, `${method} ${path}`);
        assert.equal(r.body.error.code, 'auth.forbidden');
      }
    }
    const anon = await t.api.get('/api/v1/alerts');
    assert.equal(anon.status, 401);
  });

  it('targets see theirs, others get 403, escalation.view_all sees all; bad acks change nothing', async () => {
    const msg = await send(t, w.sidorov.token, w.conversationId, { priority: 'critical' });
    const a = await alertOf(t, msg);
    const mine = await t.api.get('/api/v1/alerts', { token: w.ivanov.token });
    assert.deepEqual(
      (mine.body.items as AlertView[]).map((x) => x.id),
      [a.id],
    );
    const theirs = await t.api.get('/api/v1/alerts', { token: w.backup.token });
    assert.deepEqual(theirs.body.items, []);
    // The author is not a target either.
    assert.deepEqual(
      (await t.api.get('/api/v1/alerts', { token: w.sidorov.token })).body.items,
      [],
    );
    const one = await t.api.get(`/api/v1/alerts/${a.id}`, { token: w.backup.token });
    assert.equal(one.status, 403);
    assert.equal(one.body.error.code, 'alert.not_target');
    assert.equal(
      (await t.api.get(`/api/v1/alerts/${a.id}`, { token: w.ivanov.token })).status,
      200,
    );
    assert.equal((await t.api.get(`/api/v1/alerts/${a.id}`, { token: t.admin.token })).status, 200);
    const missing = await t.api.get(`/api/v1/alerts/${randomUUID()}`, { token: t.admin.token });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'alert.not_found');
    assert.equal(
      (await t.api.get('/api/v1/alerts/nope', { token: t.admin.token })).body.error.code,
      'validation.invalid',
    );
    assert.equal(
      (await t.api.get('/api/v1/alerts?state=closed', { token: t.admin.token })).body.error.code,
      'validation.invalid',
    );

    const before = await t.hub.internals.db.manager.findOneByOrFail(EscalationEntity, { id: a.id });
    const bad: [Record<string, unknown> | undefined, string, number, string][] = [
      [{ response: 'maybe' }, w.ivanov.token, 400, 'validation.invalid'],
      [{}, w.ivanov.token, 400, 'validation.invalid'],
      [{ response: 'coming', minutes: 0 }, w.ivanov.token, 400, 'validation.invalid'],
      [{ response: 'coming', minutes: 2000 }, w.ivanov.token, 400, 'validation.invalid'],
      [{ response: 'accepted', note: 'x'.repeat(501) }, w.ivanov.token, 400, 'validation.invalid'],
      [
        { response: 'accepted', readBack: { value: '1' } },
        w.ivanov.token,
        400,
        'validation.invalid',
      ],
      [{ response: 'accepted', extra: 1 }, w.ivanov.token, 400, 'validation.invalid'],
      [{ response: 'accepted' }, w.backup.token, 403, 'alert.not_target'],
      [{ response: 'accepted' }, w.sidorov.token, 403, 'alert.not_target'],
    ];
    for (const [body, token, status, code] of bad) {
      const r = await t.api.post(`/api/v1/alerts/${a.id}/ack`, body, { token });
      assert.equal(r.status, status, JSON.stringify(body));
      assert.equal(r.body.error.code, code, JSON.stringify(body));
    }
    const nf = await t.api.post(
      `/api/v1/alerts/${randomUUID()}/ack`,
      { response: 'accepted' },
      { token: w.ivanov.token },
    );
    assert.equal(nf.body.error.code, 'alert.not_found');
    const after = await t.hub.internals.db.manager.findOneByOrFail(EscalationEntity, { id: a.id });
    assert.deepEqual(after, before);
    // A messaging ack by a non-target (the author cannot; a member who is not asked is ignored).
    await t.api.post(
      `/api/v1/conversations/${w.conversationId}/members`,
      { userIds: [w.backup.id] },
      { token: w.sidorov.token },
    );
    await t.api.post(
      `/api/v1/messages/${msg}/ack`,
      { response: 'accepted' },
      { token: w.backup.token },
    );
    await settle(t);
    assert.equal((await alertOf(t, msg)).state, 'open');
  });

  it('alerts of one conversation: targets see theirs, escalation.view_all sees all', async () => {
    const other = await t.api.post(
      '/api/v1/conversations',
      { kind: 'group', title: 'Палата 7', memberIds: [w.ivanov.id, w.backup.id] },
      { token: w.sidorov.token },
    );
    assert.equal(other.status, 201, JSON.stringify(other.body));
    const a = await alertOf(
      t,
      await send(t, w.sidorov.token, w.conversationId, { priority: 'critical' }),
    );
    const b = await alertOf(
      t,
      await send(t, w.sidorov.token, other.body.id, { priority: 'critical' }),
    );
    assert.ok(!a.targets.some((p) => p.id === w.backup.id), 'backup is no target of the first');
    assert.ok(b.targets.some((p) => p.id === w.backup.id));
    const list = async (token: string, query: string) => {
      const r = await t.api.get(`/api/v1/alerts?${query}`, { token });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return (r.body.items as AlertView[]).map((x) => x.id);
    };
    const inFirst = `conversationId=${w.conversationId}&state=all`;
    const inOther = `conversationId=${other.body.id}&state=all`;
    assert.deepEqual(await list(w.ivanov.token, inFirst), [a.id]);
    assert.deepEqual(await list(w.ivanov.token, inOther), [b.id]);
    assert.deepEqual(await list(w.backup.token, inFirst), [], 'not asked there: none');
    assert.deepEqual(await list(w.backup.token, inOther), [b.id]);
    assert.deepEqual(await list(w.sidorov.token, inFirst), [], 'the author is no target');
    assert.deepEqual(await list(t.admin.token, inFirst), [a.id]);
    assert.deepEqual(await list(t.admin.token, inOther), [b.id]);
    assert.deepEqual(await list(t.admin.token, `conversationId=${randomUUID()}&state=all`), []);
    assert.deepEqual((await list(t.admin.token, 'state=all')).sort(), [a.id, b.id].sort());
    // The state filter still applies (default: open).
    const ack = await t.api.post(
      `/api/v1/alerts/${a.id}/ack`,
      { response: 'accepted' },
      { token: w.ivanov.token },
    );
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    assert.deepEqual(await list(t.admin.token, `conversationId=${w.conversationId}`), []);
    assert.deepEqual(
      await list(t.admin.token, `conversationId=${w.conversationId}&state=acknowledged`),
      [a.id],
    );
    assert.deepEqual(await list(t.admin.token, `conversationId=${other.body.id}`), [b.id]);
  });

  it('refuses a bad conversationId on the alert list and changes nothing', async () => {
    const msg = await send(t, w.sidorov.token, w.conversationId, { priority: 'critical' });
    const before = await t.hub.internals.db.manager.find(EscalationEntity);
    const audit = await auditCount();
    const bad = [
      'conversationId=nope',
      'conversationId=',
      `conversationId=${randomUUID().toUpperCase()}`,
      `conversationId=${randomUUID()}x`,
      `conversationId=${w.conversationId}&conversationId=${randomUUID()}`,
      `conversationId=${w.conversationId}&state=closed`,
      `conversation=${w.conversationId}`,
    ];
    for (const query of bad) {
      for (const token of [t.admin.token, w.ivanov.token]) {
        const r = await t.api.get(`/api/v1/alerts?${query}`, { token });
        assert.equal(r.status, 400, `${query} → ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'validation.invalid', query);
      }
    }
    const field = await t.api.get('/api/v1/alerts?conversationId=nope', { token: t.admin.token });
    assert.equal(field.body.error.field, 'conversationId', JSON.stringify(field.body));
    assert.equal(field.body.error.details?.in, 'query', JSON.stringify(field.body));
    assert.equal(
      (await t.api.get(`/api/v1/alerts?conversationId=${w.conversationId}`)).status,
      401,
    );
    assert.deepEqual(await t.hub.internals.db.manager.find(EscalationEntity), before);
    assert.equal(await auditCount(), audit);
    assert.equal((await alertOf(t, msg)).state, 'open');
  });

  it('a critical result needs a matching read-back to be accepted', async () => {
    const esc = t.hub.internals.escalation;
    esc.setSubjects({
      describe: async (s) =>
        s.id === 'r-1'
          ? {
              patient: { identifiers: [{ system: 'MR', value: '12345' }], name: 'Тестов Т.' },
              result: {
                resultId: 'r-1',
                test: { code: 'K' },
                value: '7,1',
                units: 'mmol/L',
                flag: 'HH',
              },
            }
          : null,
    });
    const messageId = randomUUID();
    esc.ignoreMessage(messageId);
    const { alertId } = await esc.startForMessage({
      messageId,
      conversationId: w.conversationId,
      unitId: w.unit.id,
      priority: 'critical',
      kind: 'critical_result',
      targets: [w.ivanov.id],
      subject: { type: 'lab_result', id: 'r-1' },
    });
    await settle(t);
    const again = await esc.startForMessage({
      messageId,
      conversationId: w.conversationId,
      unitId: w.unit.id,
      priority: 'critical',
      kind: 'critical_result',
      targets: [w.ivanov.id],
    });
    assert.equal(again.alertId, alertId);
    const path = `/api/v1/alerts/${alertId}/ack`;
    const no = await t.api.post(path, { response: 'accepted' }, { token: w.ivanov.token });
    assert.equal(no.status, 422);
    assert.equal(no.body.error.code, 'alert.read_back_required');
    const wrong = await t.api.post(
      path,
      { response: 'accepted', readBack: { value: '1.7', action: 'Повторить анализ' } },
      { token: w.ivanov.token },
    );
    assert.equal(wrong.status, 422);
    assert.equal(wrong.body.error.code, 'alert.read_back_mismatch');
    assert.equal(wrong.body.error.field, 'readBack.value');
    const view = await t.api.get(`/api/v1/alerts/${alertId}`, { token: w.ivanov.token });
    assert.equal(view.body.state, 'open');
    assert.equal(view.body.result.value, '7,1');
    assert.equal(view.body.patient.identifiers[0].value, '12345');
    const ok = await t.api.post(
      path,
      { response: 'accepted', readBack: { value: ' 7.1 ', action: 'Отменил калий' } },
      { token: w.ivanov.token },
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.state, 'acknowledged');
    assert.equal(ok.body.readBack.by.id, w.ivanov.id);
    assert.equal(ok.body.readBack.action, 'Отменил калий');
    assert.ok((ok.body as AlertView).timeline.some((e) => e.type === 'read_back'));
    const audit = await t.hub.internals.db.manager.findBy(AuditRowEntity, { targetId: alertId });
    for (const r of audit) {
      assert.ok(!r.details.includes('Отменил'), 'no clinical text in the audit');
      assert.ok(!r.details.includes('12345'), 'no patient identifier in the audit');
    }
    // failSafeFor: the built-in plan's last resort is the administrators when no duty admin is set.
    const fs = await esc.failSafeFor({
      unitId: w.unit.id,
      priority: 'critical',
      kind: 'critical_result',
    });
    assert.deepEqual(fs.userIds, [t.admin.id]);
    assert.equal(fs.label, 'administrators');
  });
});
