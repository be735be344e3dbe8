import assert from 'node:assert/strict';
import type { AlertView } from '@konsilium/shared';
import { AuditRowEntity } from '../src/modules/audit/index.js';
import { MemberEntity } from '../src/modules/messaging/messaging.entity.js';
import { DurableTimerEntity } from '../src/platform/timers/index.js';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';
import { TestSocket } from './support/ws.js';
import { makeRole, makeShift } from './rosters/setup.js';
import {
  alertOf,
  elapse,
  escalationWorld,
  ids,
  makePolicy,
  pendingTimers,
  send,
  settle,
  startSmtp,
  types,
  type World,
} from './escalation/setup.js';

const CRITICAL_MESSAGES = { priorities: ['critical'], kinds: ['message'] };

eachDatabase('escalation: steps, acknowledgement, decline, shift change', (kind) => {
  let t: TestHub;
  let w: World;
  beforeEach(async () => {
    t = await startTestHub(kind);
    w = await escalationWorld(t);
  });
  afterEach(async () => t.close());

  it('runs notify, wait, repeat, backup, duty_admin, repeat_chain and ends in the fail-safe', async () => {
    const adminRole = await makeRole(t, w.coordinator.token, {
      name: 'Дежурный администратор',
      unitId: w.unit.id,
    });
    await makeShift(t, w.coordinator.token, {
      roleId: adminRole.id,
      userId: w.chief.id,
      start: '2026-11-27T08:00:00+03:00',
      end: '2026-11-28T08:00:00+03:00',
    });
    const set = await t.api.put(
      `/api/v1/escalation/duty-admins/${w.unit.id}`,
      { roleId: adminRole.id },
      { token: t.admin.token },
    );
    assert.equal(set.status, 200, JSON.stringify(set.body));
    await makePolicy(t, {
      name: 'Кардиология: критические',
      unitId: w.unit.id,
      match: CRITICAL_MESSAGES,
      steps: [
        { type: 'notify' },
        { type: 'wait', seconds: 60 },
        { type: 'repeat', everySeconds: 30, times: 2 },
        { type: 'backup', target: { kind: 'user', id: w.backup.id } },
        { type: 'wait', seconds: 60 },
        { type: 'duty_admin' },
        { type: 'wait', seconds: 60 },
        { type: 'repeat_chain', times: 1 },
      ],
      failSafe: { kind: 'user', id: t.admin.id },
    });
    const msg = await send(t, w.sidorov.token, w.conversationId, { priority: 'critical' });
    let a = await alertOf(t, msg);
    assert.equal(a.state, 'open');
    assert.equal(a.kind, 'message');
    assert.equal(a.priority, 'critical');
    assert.equal(a.unitId, w.unit.id);
    assert.equal(a.policy.name, 'Кардиология: критические');
    assert.deepEqual(types(a), ['started', 'notified', 'escalated']);
    assert.deepEqual(ids(a.targets), [w.ivanov.id, w.petrov.id].sort());
    assert.equal(a.step.type, 'wait');
    assert.equal(a.step.nextAt, '2026-11-27T09:01:00.000Z');

    await elapse(t, 59);
    assert.deepEqual(types(await alertOf(t, msg)), ['started', 'notified', 'escalated']);
    await elapse(t, 1); // the wait ends: the repeat step starts
    a = await alertOf(t, msg);
    assert.equal(a.step.type, 'repeat');
    await elapse(t, 30);
    await elapse(t, 30);
    a = await alertOf(t, msg);
    const repeated = a.timeline.filter((e) => e.type === 'repeated');
    assert.equal(repeated.length, 2);
    assert.deepEqual(ids(repeated[0]!.targets), [w.ivanov.id, w.petrov.id].sort());
    // After the second repeat: the backup, then a wait.
    assert.deepEqual(ids(a.targets), [w.backup.id]);
    assert.equal(a.step.type, 'wait');
    await elapse(t, 60);
    a = await alertOf(t, msg);
    assert.deepEqual(ids(a.targets), [w.chief.id]);
    const duty = a.timeline.find((e) => e.stepType === 'duty_admin')!;
    assert.deepEqual(ids(duty.targets), [w.chief.id]);
    await elapse(t, 60); // repeat_chain: the whole chain once more
    a = await alertOf(t, msg);
    assert.equal(a.timeline.filter((e) => e.type === 'notified').length, 2);
    assert.deepEqual(ids(a.targets), [w.ivanov.id, w.petrov.id].sort());
    for (let i = 0; i < 5; i++) await elapse(t, 60);
    a = await alertOf(t, msg);
    assert.equal(a.timeline.filter((e) => e.type === 'repeated').length, 4);
    const last = a.timeline.at(-1)!;
    assert.equal(last.type, 'fail_safe');
    assert.deepEqual(ids(last.targets), [t.admin.id]);
    assert.equal(a.step.type, 'fail_safe');
    assert.equal(a.step.nextAt, null);
    assert.deepEqual(ids(a.targets), [t.admin.id]);
    assert.equal(a.state, 'open');
    assert.equal(await pendingTimers(t, a.id), 0);
    // Every new target became a member of the conversation (to see and acknowledge it).
    const members = await t.hub.internals.db.manager.findBy(MemberEntity, {
      conversationId: w.conversationId,
    });
    for (const u of [w.backup.id, w.chief.id, t.admin.id]) {
      assert.ok(
        members.some((m) => m.userId === u && m.leftSeq === null),
        `member ${u}`,
      );
    }
    const seen = await t.api.get(`/api/v1/conversations/${w.conversationId}/messages`, {
      token: w.backup.token,
    });
    assert.equal(seen.status, 200);
    // Audited, without patient data: ids and step types only.
    const audit = await t.hub.internals.db.manager.findBy(AuditRowEntity, {
      targetId: a.id,
    });
    const actions = audit.map((r) => r.action);
    for (const action of [
      'escalation.start',
      'escalation.notified',
      'escalation.repeated',
      'escalation.escalated',
      'escalation.fail_safe',
    ])
      assert.ok(actions.includes(action), action);
    for (const r of audit) assert.ok(!r.details.includes('Срочно посмотрите'));
    // The fail-safe person acknowledges.
    const ack = await t.api.post(
      `/api/v1/alerts/${a.id}/ack`,
      { response: 'accepted' },
      { token: t.admin.token },
    );
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    assert.equal(ack.body.state, 'acknowledged');
  });

  it('finds the policy and the duty administrator up the unit tree', async () => {
    const site = (await t.hub.internals.directory.units())[0]!.children[0]!;
    const role = await makeRole(t, w.coordinator.token, {
      name: 'Администратор корпуса',
      unitId: site.id,
    });
    await makeShift(t, w.coordinator.token, {
      roleId: role.id,
      userId: w.chief.id,
      start: '2026-11-27T08:00:00+03:00',
      end: '2026-11-28T08:00:00+03:00',
    });
    const set = await t.api.put(
      `/api/v1/escalation/duty-admins/${site.id}`,
      { roleId: role.id },
      { token: t.admin.token },
    );
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const listed = await t.api.get('/api/v1/escalation/duty-admins', { token: t.admin.token });
    assert.deepEqual(listed.body.items, [{ unitId: site.id, roleId: role.id }]);
    await makePolicy(t, {
      name: 'Организация',
      unitId: null,
      match: CRITICAL_MESSAGES,
      steps: [{ type: 'notify' }, { type: 'wait', seconds: 999 }],
      failSafe: { kind: 'user', id: t.admin.id },
    });
    await makePolicy(t, {
      name: 'Корпус',
      unitId: site.id,
      match: CRITICAL_MESSAGES,
      steps: [{ type: 'notify' }, { type: 'wait', seconds: 10 }, { type: 'duty_admin' }],
      failSafe: { kind: 'user', id: t.admin.id },
    });
    const msg = await send(t, w.sidorov.token, w.conversationId, { priority: 'critical' });
    assert.equal((await alertOf(t, msg)).policy.name, 'Корпус');
    await elapse(t, 10);
    const a = await alertOf(t, msg);
    const duty = a.timeline.find((e) => e.stepType === 'duty_admin')!;
    assert.deepEqual(ids(duty.targets), [w.chief.id]);
    assert.equal(types(a).at(-1), 'fail_safe');
    // The built-in plan's fail-safe is the duty administrator too.
    const fs = await t.hub.internals.escalation.failSafeFor({
      unitId: w.unit.id,
      priority: 'critical',
      kind: 'order',
    });
    assert.deepEqual(fs.userIds, [w.chief.id]);
    assert.equal(fs.label, 'Администратор корпуса');
  });

  it('an acknowledgement stops it everywhere: pending steps cancelled and shown as cancelled', async () => {
    await makePolicy(t, {
      name: 'Орг.',
      unitId: null,
      match: CRITICAL_MESSAGES,
      steps: [
        { type: 'notify' },
        { type: 'wait', seconds: 120 },
        { type: 'backup', target: { kind: 'user', id: w.backup.id } },
      ],
      failSafe: { kind: 'user', id: w.chief.id },
    });
    const msg = await send(t, w.sidorov.token, w.conversationId, { priority: 'critical' });
    const a = await alertOf(t, msg);
    assert.equal(await pendingTimers(t, a.id), 1);
    const r = await t.api.post(
      `/api/v1/alerts/${a.id}/ack`,
      { response: 'coming', minutes: 5, note: 'иду' },
      { token: w.petrov.token },
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const v = r.body as AlertView;
    assert.equal(v.state, 'acknowledged');
    assert.equal(v.acknowledgedBy?.id, w.petrov.id);
    assert.equal(v.acknowledgedBy?.response, 'coming');
    assert.equal(v.step.nextAt, null);
    assert.deepEqual(types(v).slice(-2), ['acknowledged', 'cancelled']);
    assert.match(v.timeline.at(-1)!.note!, /^1 pending/);
    assert.equal(await pendingTimers(t, a.id), 0);
    assert.equal(
      await t.hub.internals.db.manager.countBy(DurableTimerEntity, {
        key: a.id,
        state: 'cancelled',
      }),
      1,
    );
    await elapse(t, 600);
    const after = await alertOf(t, msg);
    assert.equal(after.timeline.length, v.timeline.length);
    assert.ok(!after.timeline.some((e) => e.type === 'escalated' && e.stepType === 'backup'));
    // A second acknowledgement is refused and changes nothing.
    const again = await t.api.post(
      `/api/v1/alerts/${a.id}/ack`,
      { response: 'accepted' },
      { token: w.ivanov.token },
    );
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'alert.closed');
    // The open list no longer has it; the acknowledged list has it.
    const open = await t.api.get('/api/v1/alerts', { token: w.ivanov.token });
    assert.equal(open.body.items.length, 0);
    const done = await t.api.get('/api/v1/alerts?state=acknowledged', { token: w.ivanov.token });
    assert.equal(done.body.items.length, 1);
  });

  it('call_back through the messaging acknowledgement stops it too', async () => {
    const msg = await send(t, w.sidorov.token, w.conversationId, { priority: 'critical' });
    const a = await alertOf(t, msg);
    assert.equal(a.policy.id, null); // the built-in plan for critical items
    assert.equal(await pendingTimers(t, a.id), 1);
    const r = await t.api.post(
      `/api/v1/messages/${msg}/ack`,
      { response: 'call_back', minutes: 10 },
      { token: w.ivanov.token },
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await settle(t);
    const v = await alertOf(t, msg);
    assert.equal(v.state, 'acknowledged');
    assert.equal(v.acknowledgedBy?.response, 'call_back');
    assert.equal(v.acknowledgedBy?.id, w.ivanov.id);
    assert.equal(await pendingTimers(t, a.id), 0);
    assert.equal(types(v).at(-1), 'cancelled');
  });

  it('«Не моё» (decline) moves to the next step at once, through the alert or the message', async () => {
    await makePolicy(t, {
      name: 'Орг.',
      unitId: null,
      match: CRITICAL_MESSAGES,
      steps: [
        { type: 'notify' },
        { type: 'wait', seconds: 600 },
        { type: 'backup', target: { kind: 'user', id: w.backup.id } },
        { type: 'wait', seconds: 600 },
      ],
      failSafe: { kind: 'user', id: w.chief.id },
    });
    const msg = await send(t, w.sidorov.token, w.conversationId, { priority: 'critical' });
    const a = await alertOf(t, msg);
    const r = await t.api.post(
      `/api/v1/alerts/${a.id}/ack`,
      { response: 'decline' },
      { token: w.ivanov.token },
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    let v = r.body as AlertView;
    assert.equal(v.state, 'open');
    assert.deepEqual(ids(v.targets), [w.backup.id]);
    assert.ok(types(v).includes('declined'));
    assert.equal(v.step.nextAt, '2026-11-27T09:10:00.000Z');
    assert.equal(await pendingTimers(t, a.id), 1);
    // Иванов is no longer asked: a second «Не моё» is recorded but moves nothing.
    const twice = await t.api.post(
      `/api/v1/alerts/${a.id}/ack`,
      { response: 'decline' },
      { token: w.ivanov.token },
    );
    assert.equal(twice.status, 200, JSON.stringify(twice.body));
    assert.deepEqual(ids((twice.body as AlertView).targets), [w.backup.id]);
    assert.equal((twice.body as AlertView).step.nextAt, '2026-11-27T09:10:00.000Z');
    assert.equal(types(twice.body as AlertView).filter((x) => x === 'declined').length, 2);
    assert.equal(await pendingTimers(t, a.id), 1);
    // The backup declines through messaging: the fail-safe at once.
    const m = await t.api.post(
      `/api/v1/messages/${msg}/ack`,
      { response: 'decline' },
      { token: w.backup.token },
    );
    assert.equal(m.status, 200, JSON.stringify(m.body));
    await settle(t);
    v = await alertOf(t, msg);
    assert.equal(types(v).at(-1), 'fail_safe');
    assert.deepEqual(ids(v.targets), [w.chief.id]);
    assert.equal(await pendingTimers(t, a.id), 0);
  });

  it('a shift change mid-escalation re-targets the role step to the incoming person', async () => {
    const role = await makeRole(t, w.coordinator.token, {
      name: 'Дежурный кардиолог',
      unitId: w.unit.id,
    });
    await makeShift(t, w.coordinator.token, {
      roleId: role.id,
      userId: w.ivanov.id,
      start: '2026-11-27T08:00:00+03:00',
      end: '2026-11-27T12:01:00+03:00',
    });
    await makeShift(t, w.coordinator.token, {
      roleId: role.id,
      userId: w.petrov.id,
      start: '2026-11-27T12:01:00+03:00',
      end: '2026-11-27T20:00:00+03:00',
    });
    await makePolicy(t, {
      name: 'Орг.',
      unitId: null,
      match: CRITICAL_MESSAGES,
      steps: [
        { type: 'notify' },
        { type: 'wait', seconds: 30 },
        { type: 'backup', target: { kind: 'role', id: role.id } },
        { type: 'wait', seconds: 600 },
      ],
      failSafe: { kind: 'user', id: w.chief.id },
    });
    const conv = await t.api.post(
      '/api/v1/conversations',
      { kind: 'group', title: 'Консилиум', memberIds: [w.backup.id] },
      { token: w.sidorov.token },
    );
    const msg = await send(t, w.sidorov.token, conv.body.id as string, { priority: 'critical' });
    await elapse(t, 30);
    let a = await alertOf(t, msg);
    assert.deepEqual(ids(a.targets), [w.ivanov.id]);
    const sp = (await TestSocket.authed(t.hub.url(), w.petrov.token)).socket;
    const changes: unknown[] = [];
    const off = t.hub.internals.bus.on('rosters.shift_changed', (e) => changes.push(e));
    t.clock.advanceSeconds(30); // 12:01 Moscow: Петров comes on
    await t.hub.internals.rosters.internals.changes.tick();
    await settle(t);
    off();
    assert.equal(changes.length, 1);
    // A second hub node sees the same boundary: the re-target happens once.
    t.hub.internals.bus.emit('rosters.shift_changed', changes[0] as any);
    await settle(t);
    a = await alertOf(t, msg);
    assert.deepEqual(ids(a.targets), [w.petrov.id]);
    assert.equal(types(a).at(-1), 'retargeted');
    assert.equal(types(a).filter((x) => x === 'retargeted').length, 1);
    assert.equal(a.step.nextAt, '2026-11-27T09:10:30.000Z'); // the pending wait is kept
    const ev = await sp.next(
      (f) => f.event === 'alert.updated' && f.data.id === a.id && f.data.targets.length === 1,
    );
    assert.equal(ev.data.targets[0].id, w.petrov.id);
    assert.ok(typeof ev.seq === 'number');
    sp.close();
    // The incoming person can acknowledge.
    const r = await t.api.post(
      `/api/v1/alerts/${a.id}/ack`,
      { response: 'accepted' },
      { token: w.petrov.token },
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });

  it('a message to a duty role targets its on-call people and follows the shift change', async () => {
    const role = await makeRole(t, w.coordinator.token, {
      name: 'Дежурный реаниматолог',
      unitId: w.unit.id,
    });
    await makeShift(t, w.coordinator.token, {
      roleId: role.id,
      userId: w.ivanov.id,
      start: '2026-11-27T08:00:00+03:00',
      end: '2026-11-27T12:05:00+03:00',
    });
    await makeShift(t, w.coordinator.token, {
      roleId: role.id,
      userId: w.backup.id,
      start: '2026-11-27T12:05:00+03:00',
      end: '2026-11-27T20:00:00+03:00',
    });
    await makePolicy(t, {
      name: 'Реанимация',
      unitId: w.unit.id,
      match: { priorities: ['urgent'], kinds: ['message'] },
      steps: [{ type: 'notify' }, { type: 'repeat', everySeconds: 240, times: 3 }],
      failSafe: { kind: 'user', id: w.chief.id },
    });
    const conv = await t.api.post(
      '/api/v1/conversations',
      { kind: 'direct', roleId: role.id },
      { token: w.sidorov.token },
    );
    assert.equal(conv.status, 201, JSON.stringify(conv.body));
    const msg = await send(t, w.sidorov.token, conv.body.id as string, { priority: 'urgent' });
    let a = await alertOf(t, msg);
    assert.equal(a.policy.name, 'Реанимация'); // chosen by the role's unit
    assert.equal(a.unitId, w.unit.id);
    assert.deepEqual(ids(a.targets), [w.ivanov.id]);
    await elapse(t, 240);
    assert.equal((await alertOf(t, msg)).timeline.filter((e) => e.type === 'repeated').length, 1);
    t.clock.advanceSeconds(60); // 12:05 Moscow: Резервов comes on
    await t.hub.internals.rosters.internals.changes.tick();
    await settle(t);
    a = await alertOf(t, msg);
    assert.deepEqual(ids(a.targets), [w.backup.id]);
    assert.equal(types(a).at(-1), 'retargeted');
    await elapse(t, 180);
    a = await alertOf(t, msg);
    const repeats = a.timeline.filter((e) => e.type === 'repeated');
    assert.equal(repeats.length, 2);
    assert.deepEqual(ids(repeats[1]!.targets), [w.backup.id]);
    // The outgoing person was asked before and may still answer; the incoming one does.
    const r = await t.api.post(
      `/api/v1/messages/${msg}/ack`,
      { response: 'accepted' },
      { token: w.backup.token },
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await settle(t);
    a = await alertOf(t, msg);
    assert.equal(a.state, 'acknowledged');
    assert.equal(a.acknowledgedBy?.id, w.backup.id);
  });

  it('runs from its snapshot when the policy changes later', async () => {
    const id = await makePolicy(t, {
      name: 'Первая редакция',
      unitId: null,
      match: CRITICAL_MESSAGES,
      steps: [
        { type: 'notify' },
        { type: 'wait', seconds: 60 },
        { type: 'backup', target: { kind: 'user', id: w.backup.id } },
        { type: 'wait', seconds: 60 },
      ],
      failSafe: { kind: 'user', id: w.chief.id },
    });
    const msg = await send(t, w.sidorov.token, w.conversationId, { priority: 'critical' });
    const edit = await t.api.put(
      `/api/v1/escalation/policies/${id}`,
      {
        name: 'Вторая редакция',
        unitId: null,
        match: CRITICAL_MESSAGES,
        steps: [{ type: 'notify' }, { type: 'wait', seconds: 5 }],
        failSafe: { kind: 'user', id: t.admin.id },
      },
      { token: t.admin.token },
    );
    assert.equal(edit.status, 200, JSON.stringify(edit.body));
    await elapse(t, 5);
    let a = await alertOf(t, msg);
    assert.equal(a.policy.name, 'Первая редакция');
    assert.equal(a.step.type, 'wait');
    await elapse(t, 55);
    a = await alertOf(t, msg);
    assert.deepEqual(ids(a.targets), [w.backup.id]);
    await elapse(t, 60);
    a = await alertOf(t, msg);
    assert.deepEqual(ids(a.targets), [w.chief.id]);
    // A new message runs the new edition.
    const next = await send(t, w.sidorov.token, w.conversationId, { priority: 'critical' });
    await elapse(t, 5);
    assert.deepEqual(ids((await alertOf(t, next)).targets), [t.admin.id]);
  });

  it('chooses the most specific policy; urgent items without a policy do not escalate', async () => {
    await makePolicy(t, {
      name: 'Организация',
      unitId: null,
      match: { priorities: ['urgent', 'critical'], kinds: ['order'] },
      steps: [{ type: 'notify' }, { type: 'wait', seconds: 60 }],
      failSafe: { kind: 'user', id: w.chief.id },
    });
    await makePolicy(t, {
      name: 'Отделение',
      unitId: w.unit.id,
      match: { priorities: ['urgent'], kinds: ['order'] },
      steps: [{ type: 'notify' }, { type: 'wait', seconds: 60 }],
      failSafe: { kind: 'user', id: w.chief.id },
    });
    const order = await send(t, w.sidorov.token, w.conversationId, {
      priority: 'urgent',
      kind: 'order',
    });
    assert.equal((await alertOf(t, order)).policy.name, 'Отделение');
    const crit = await send(t, w.sidorov.token, w.conversationId, {
      priority: 'critical',
      kind: 'order',
    });
    assert.equal((await alertOf(t, crit)).policy.name, 'Организация');
    const plain = await send(t, w.sidorov.token, w.conversationId, { priority: 'urgent' });
    const normal = await send(t, w.sidorov.token, w.conversationId, {
      priority: 'normal',
      kind: 'order',
    });
    const all = await t.api.get('/api/v1/alerts?state=all', { token: t.admin.token });
    const messages = (all.body.items as AlertView[]).map((a) => a.messageId);
    assert.ok(!messages.includes(plain));
    assert.ok(!messages.includes(normal));
    assert.equal(messages.length, 2);
  });

  it('sends alert.updated to the targets at start, on steps and on acknowledgement', async () => {
    const si = (await TestSocket.authed(t.hub.url(), w.ivanov.token)).socket;
    const msg = await send(t, w.sidorov.token, w.conversationId, { priority: 'critical' });
    const first = await si.next((f) => f.event === 'alert.updated');
    assert.equal(first.data.messageId, msg);
    assert.equal(first.data.state, 'open');
    await t.api.post(
      `/api/v1/alerts/${first.data.id}/ack`,
      { response: 'accepted' },
      { token: w.petrov.token },
    );
    await settle(t);
    const done = await si.next(
      (f) => f.event === 'alert.updated' && f.data.state === 'acknowledged',
    );
    assert.equal(done.data.acknowledgedBy.id, w.petrov.id);
    assert.ok(done.seq > first.seq);
    si.close();
  });

  it('sends the external e-mail to a real SMTP server: a code and a link, no message text', async () => {
    const smtp = await startSmtp();
    await t.close();
    t = await startTestHub(kind, {
      smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
      smtpFrom: 'konsilium@hospital.example',
      publicUrl: 'https://konsilium.hospital.example/',
    });
    w = await escalationWorld(t);
    try {
      await makePolicy(t, {
        name: 'С почтой',
        unitId: null,
        match: CRITICAL_MESSAGES,
        steps: [
          { type: 'notify' },
          { type: 'wait', seconds: 30 },
          { type: 'backup', target: { kind: 'user', id: w.backup.id } },
          { type: 'external', channel: 'email' },
          { type: 'external', channel: 'sms' },
          { type: 'wait', seconds: 30 },
        ],
        failSafe: { kind: 'user', id: w.chief.id },
      });
      const msg = await send(t, w.sidorov.token, w.conversationId, {
        priority: 'critical',
        text: 'Пациент Тестов, калий 7.1',
      });
      await elapse(t, 30);
      await settle(t);
      assert.equal(smtp.mails.length, 1);
      assert.deepEqual(smtp.mails[0]!.to, ['reserve@hospital.example']);
      const a = await alertOf(t, msg);
      const code = `K-${a.id.slice(0, 6).toUpperCase()}`;
      assert.ok(smtp.mails[0]!.raw.includes(code));
      // The link starts with the address staff reach the hub at.
      // (quoted-printable: soft line breaks joined)
      const body = smtp.mails[0]!.raw.replace(/=\r?\n/g, '');
      assert.ok(body.includes(`https://konsilium.hospital.example/#/alerts/${a.id}`), body);
      assert.ok(!smtp.mails[0]!.raw.includes('Тестов'));
      assert.ok(!smtp.mails[0]!.raw.includes('7.1'));
      const sent = a.timeline.find((e) => e.type === 'external_sent')!;
      assert.equal(sent.channel, 'email');
      assert.deepEqual(ids(sent.targets), [w.backup.id]);
      // SMS is not configured here: recorded as failed, and the chain went on.
      const failed = a.timeline.find((e) => e.type === 'external_failed')!;
      assert.equal(failed.channel, 'sms');
      assert.equal(a.step.type, 'wait');
      await elapse(t, 30);
      assert.equal(types(await alertOf(t, msg)).at(-1), 'fail_safe');
      const audit = await t.hub.internals.db.manager.findBy(AuditRowEntity, {
        action: 'escalation.external',
      });
      assert.deepEqual(audit.map((r) => r.outcome).sort(), ['failure', 'success']);
    } finally {
      await new Promise<void>((r) => smtp.server.close(() => r()));
    }
  });

  it('retries a refused e-mail with backoff, records the failure and goes on with the chain', async () => {
    const smtp = await startSmtp(10);
    await t.close();
    t = await startTestHub(kind, {
      smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
      smtpFrom: 'konsilium@hospital.example',
    });
    w = await escalationWorld(t);
    try {
      await makePolicy(t, {
        name: 'С почтой',
        unitId: null,
        match: CRITICAL_MESSAGES,
        steps: [
          { type: 'backup', target: { kind: 'user', id: w.backup.id } },
          { type: 'external', channel: 'email' },
          { type: 'wait', seconds: 30 },
        ],
        failSafe: { kind: 'user', id: w.chief.id },
      });
      const msg = await send(t, w.sidorov.token, w.conversationId, { priority: 'critical' });
      // The chain did not wait for the send: the wait is already pending.
      const a = await alertOf(t, msg);
      assert.equal(a.step.type, 'wait');
      assert.equal(smtp.mails.length, 0);
      assert.equal(smtp.refused(), 3); // three attempts (1 s and 2 s apart)
      const failed = a.timeline.find((e) => e.type === 'external_failed')!;
      assert.equal(failed.note, 'smtp-451');
      assert.deepEqual(ids(failed.targets), [w.backup.id]);
      const attempts = await t.hub.internals.db.manager.findBy(AuditRowEntity, {
        action: 'notify.email',
      });
      assert.deepEqual(
        attempts.map((r) => r.outcome),
        ['failure', 'failure', 'failure'],
      );
      const outcome = await t.hub.internals.db.manager.findBy(AuditRowEntity, {
        action: 'escalation.external',
      });
      assert.equal(outcome.length, 1);
      assert.equal(outcome[0]!.outcome, 'failure');
      await elapse(t, 30);
      assert.equal(types(await alertOf(t, msg)).at(-1), 'fail_safe');
    } finally {
      await new Promise<void>((r) => smtp.server.close(() => r()));
    }
  });
});
