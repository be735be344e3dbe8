import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ConversationEntity, MessageEntity } from '../src/modules/messaging/messaging.entity.js';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';
import { TestSocket } from './support/ws.js';
import { auditActions, makeRole, makeShift, makeShifts, rosterWorld } from './rosters/setup.js';

eachDatabase('messaging: addressing a duty role', (kind) => {
  let t: TestHub;
  beforeEach(async () => (t = await startTestHub(kind, { wsHeartbeatSeconds: 60 })));
  afterEach(async () => t.close());

  /** A role with Иванов on a day shift now (the clock stands at 12:00 Moscow time). */
  async function staffed(fallback?: unknown) {
    const w = await rosterWorld(t);
    const role = await makeRole(t, w.coordinator.token, {
      name: 'Дежурный кардиолог (корпус 1)',
      unitId: w.unit.id,
      ...(fallback ? { fallback } : {}),
    });
    return { w, role };
  }

  const openRole = async (token: string, roleId: string) =>
    t.api.post('/api/v1/conversations', { kind: 'direct', roleId }, { token });

  const send = (token: string, conv: string, body: Record<string, unknown>) =>
    t.api.post(`/api/v1/conversations/${conv}/messages`, { id: randomUUID(), ...body }, { token });

  it('a message to a role goes to the person on call, stored, returned and audited', async () => {
    const { w, role } = await staffed();
    await makeShift(t, w.coordinator.token, {
      roleId: role.id,
      userId: w.ivanov.id,
      start: '2026-11-27T08:00:00+03:00',
      end: '2026-11-27T20:00:00+03:00',
    });
    const first = await openRole(w.sidorov.token, role.id);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.roleId, role.id);
    assert.equal(first.body.kind, 'direct');
    const again = await openRole(w.sidorov.token, role.id);
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    const conv = first.body.id as string;

    const si = (await TestSocket.authed(t.hub.url(), w.ivanov.token)).socket;
    const sp = (await TestSocket.authed(t.hub.url(), w.petrov.token)).socket;
    const r = await send(w.sidorov.token, conv, {
      text: 'Больной в 12 палате',
      priority: 'urgent',
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.resolvedTo, [
      {
        id: w.ivanov.id,
        fullName: 'Иванов Иван Сергеевич',
        until: new Date('2026-11-27T20:00:00+03:00').toISOString(),
      },
    ]);
    assert.equal(r.body.resolution.source, 'shift');
    const got = await si.next((f) => f.event === 'message.created' && f.data.id === r.body.id);
    assert.deepEqual(got.data.resolvedTo, r.body.resolvedTo);
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(
      sp.events().filter((f) => f.event === 'message.created').length,
      0,
      'someone not on call receives nothing',
    );
    // The person on call replies as a member; the reply is not resolved again.
    const reply = await send(w.ivanov.token, conv, { text: 'Иду' });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    assert.equal(reply.body.resolvedTo, undefined);

    const history = await t.api.get(`/api/v1/conversations/${conv}/messages`, {
      token: w.sidorov.token,
    });
    const stored = (history.body.items as any[]).find((m) => m.id === r.body.id);
    assert.deepEqual(stored.resolvedTo, r.body.resolvedTo);
    const audit = await auditActions(t, 'messaging.role_resolved');
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.targetId, r.body.id);
    assert.deepEqual(audit[0]!.details.userIds, [w.ivanov.id]);
    assert.equal(audit[0]!.details.roleId, role.id);
    assert.equal(JSON.stringify(audit[0]!.details).includes('12 палате'), false);

    // Over WebSocket the reply carries the resolution too.
    const ss = (await TestSocket.authed(t.hub.url(), w.sidorov.token)).socket;
    const ws = await ss.call('message.send', {
      conversationId: conv,
      id: randomUUID(),
      text: 'Ещё',
    });
    assert.equal(ws.ok, true, JSON.stringify(ws));
    assert.equal(ws.data.resolvedTo[0].id, w.ivanov.id);
    for (const s of [si, sp, ss]) s.close();
  });

  it('a gap goes to the fallback and the sender is told; nobody at all is refused', async () => {
    const w = await rosterWorld(t);
    const withFallback = await makeRole(t, w.coordinator.token, {
      name: 'Ответственный дежурный врач',
      unitId: w.unit.id,
      fallback: { kind: 'user', id: w.petrov.id },
    });
    const conv = (await openRole(w.sidorov.token, withFallback.id)).body.id as string;
    const ss = (await TestSocket.authed(t.hub.url(), w.sidorov.token)).socket;
    const sp = (await TestSocket.authed(t.hub.url(), w.petrov.token)).socket;
    const r = await send(w.sidorov.token, conv, { text: 'Нужна консультация' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.resolution.source, 'fallback');
    assert.equal(r.body.resolution.reason, 'gap');
    assert.deepEqual(
      r.body.resolvedTo.map((p: any) => p.id),
      [w.petrov.id],
    );
    const told = await ss.next((f) => f.event === 'role.fallback');
    assert.equal(told.data.messageId, r.body.id);
    assert.equal(typeof told.seq, 'number');
    await sp.next((f) => f.event === 'message.created' && f.data.id === r.body.id);

    const nobody = await makeRole(t, w.coordinator.token, {
      name: 'Дежурный анестезиолог-реаниматолог',
      unitId: w.unit.id,
    });
    const empty = (await openRole(w.sidorov.token, nobody.id)).body.id as string;
    const refused = await send(w.sidorov.token, empty, { text: 'Алло' });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'messaging.role_unreachable');
    assert.equal(
      await t.hub.internals.db.manager.countBy(MessageEntity, { conversationId: empty }),
      0,
    );
    assert.equal((await auditActions(t, 'messaging.role_resolved')).length, 1);
    ss.close();
    sp.close();
  });

  it('a critical message that went to the fallback during a gap passes to whoever comes on', async () => {
    const w = await rosterWorld(t);
    const role = await makeRole(t, w.coordinator.token, {
      name: 'Дежурный реаниматолог',
      unitId: w.unit.id,
      fallback: { kind: 'user', id: w.petrov.id },
    });
    await makeShift(t, w.coordinator.token, {
      roleId: role.id,
      userId: w.ivanov.id,
      start: '2026-11-27T13:00:00+03:00',
      end: '2026-11-27T20:00:00+03:00',
    });
    const conv = (await openRole(w.sidorov.token, role.id)).body.id as string;
    const m = await send(w.sidorov.token, conv, { text: 'Срочно', priority: 'critical' });
    assert.equal(m.body.resolution.source, 'fallback');
    const si = (await TestSocket.authed(t.hub.url(), w.ivanov.token)).socket;
    t.clock.advance(3600_000 + 1000); // 13:00:01 Moscow
    await t.hub.internals.rosters.internals.changes.tick();
    await t.hub.internals.messaging.roleEvents.settled();
    const ev = await si.next((f) => f.event === 'role.handoff');
    assert.deepEqual(ev.data.from, [w.petrov.id]);
    assert.deepEqual(
      ev.data.messages.map((x: any) => x.id),
      [m.body.id],
    );
    si.close();
  });

  it('bad input changes nothing', async () => {
    const { w, role } = await staffed();
    const count = () => t.hub.internals.db.manager.count(ConversationEntity);
    const before = await count();
    const cases: [Record<string, unknown>, number, string][] = [
      [{ kind: 'direct', roleId: randomUUID() }, 404, 'rosters.role_not_found'],
      [{ kind: 'direct', roleId: 'not-an-id' }, 400, 'validation.invalid'],
      [
        { kind: 'direct', roleId: role.id, memberIds: [w.ivanov.id] },
        400,
        'messaging.invalid_members',
      ],
      [{ kind: 'group', roleId: role.id }, 400, 'messaging.invalid_members'],
      [{ kind: 'direct', teamId: randomUUID() }, 400, 'messaging.invalid_members'],
      [{ kind: 'group', teamId: randomUUID() }, 404, 'rosters.team_not_found'],
    ];
    for (const [body, status, code] of cases) {
      const r = await t.api.post('/api/v1/conversations', body, { token: w.sidorov.token });
      assert.equal(r.status, status, JSON.stringify([body, r.body]));
      assert.equal(r.body.error.code, code);
    }
    assert.equal(await count(), before);
  });

  it('at shift change an unacknowledged critical message passes to the incoming person', async () => {
    const { w, role } = await staffed();
    const c = w.coordinator.token;
    await makeShifts(t, c, role.id, [
      [w.ivanov.id, '2026-11-27T08:00:00+03:00', '2026-11-27T20:00:00+03:00'],
      [w.petrov.id, '2026-11-27T20:00:00+03:00', '2026-11-28T08:00:00+03:00'],
    ]);
    const conv = (await openRole(w.sidorov.token, role.id)).body.id as string;
    const critical = await send(w.sidorov.token, conv, { text: 'Остановка', priority: 'critical' });
    const acked = await send(w.sidorov.token, conv, { text: 'Давление', priority: 'critical' });
    const ack = await t.api.post(
      `/api/v1/messages/${acked.body.id}/ack`,
      {},
      { token: w.ivanov.token },
    );
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    const si = (await TestSocket.authed(t.hub.url(), w.ivanov.token)).socket;
    const sp = (await TestSocket.authed(t.hub.url(), w.petrov.token)).socket;

    const changes: unknown[] = [];
    const off = t.hub.internals.bus.on('rosters.shift_changed', (e) => changes.push(e));
    t.clock.advance(8 * 3600_000 + 1000); // 20:00:01 Moscow
    await t.hub.internals.rosters.internals.changes.tick();
    await t.hub.internals.messaging.roleEvents.settled();
    off();
    assert.equal(changes.length, 1);
    // A second hub node sees the same boundary: nothing is handed off twice.
    t.hub.internals.bus.emit('rosters.shift_changed', changes[0] as any);
    await t.hub.internals.messaging.roleEvents.settled();

    const toPetrov = await sp.next((f) => f.event === 'role.handoff');
    assert.deepEqual(
      toPetrov.data.messages.map((m: any) => m.id),
      [critical.body.id],
    );
    assert.equal(typeof toPetrov.seq, 'number');
    const toIvanov = await si.next((f) => f.event === 'role.handoff');
    assert.deepEqual(toIvanov.data.from, [w.ivanov.id]);
    assert.deepEqual(
      toIvanov.data.to.map((p: any) => p.id),
      [w.petrov.id],
    );
    // Петров can now read and acknowledge it; the acknowledged one stayed with Иванов.
    const seen = await t.api.get(`/api/v1/messages/${critical.body.id}`, { token: w.petrov.token });
    assert.equal(seen.status, 200, JSON.stringify(seen.body));
    assert.deepEqual(
      seen.body.resolvedTo.map((p: any) => p.id),
      [w.ivanov.id, w.petrov.id],
    );
    assert.equal(seen.body.resolution.handoffs.length, 1);
    const kept = await t.api.get(`/api/v1/messages/${acked.body.id}`, { token: w.petrov.token });
    assert.deepEqual(
      kept.body.resolvedTo.map((p: any) => p.id),
      [w.ivanov.id],
    );
    const audit = await auditActions(t, 'messaging.role_handoff');
    assert.equal(audit.length, 1);
    assert.deepEqual(audit[0]!.details.messageIds, [critical.body.id]);
    // The hand-off event survives a reconnect.
    sp.close();
    const again = await TestSocket.authed(t.hub.url(), w.petrov.token, 0);
    await again.socket.next((f) => f.event === 'role.handoff' && f.seq === toPetrov.seq);
    again.socket.close();
    si.close();
  });

  it('a published shift reaches its person as a per-user event with a seq, also on resume', async () => {
    const { w, role } = await staffed();
    const si = (await TestSocket.authed(t.hub.url(), w.ivanov.token)).socket;
    const sp = (await TestSocket.authed(t.hub.url(), w.petrov.token)).socket;
    await makeShift(t, w.coordinator.token, {
      roleId: role.id,
      userId: w.ivanov.id,
      start: '2026-11-28T08:00:00+03:00',
      end: '2026-11-28T20:00:00+03:00',
    });
    await t.hub.internals.messaging.roleEvents.settled();
    const ev = await si.next((f) => f.event === 'roster.shifts_published');
    assert.equal(typeof ev.seq, 'number');
    assert.equal(ev.data.roleId, role.id);
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(sp.events().filter((f) => f.event === 'roster.shifts_published').length, 0);
    si.close();
    const again = await TestSocket.authed(t.hub.url(), w.ivanov.token, ev.seq - 1);
    const replayed = await again.socket.next((f) => f.event === 'roster.shifts_published');
    assert.equal(replayed.seq, ev.seq);
    again.socket.close();
    sp.close();
  });

  it('a group and a broadcast with a team have its members at creation', async () => {
    const w = await rosterWorld(t);
    const team = await t.api.post(
      '/api/v1/rosters/teams',
      { name: 'Операционная бригада', kind: 'static', memberIds: [w.petrov.id, w.ivanov.id] },
      { token: w.coordinator.token },
    );
    assert.equal(team.status, 201, JSON.stringify(team.body));
    const r = await t.api.post(
      '/api/v1/conversations',
      { kind: 'group', teamId: team.body.id, title: 'Бригада' },
      { token: w.sidorov.token },
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(
      (r.body.members as any[]).map((m) => m.userId).sort(),
      [w.sidorov.id, w.petrov.id, w.ivanov.id].sort(),
    );
    // A broadcast to the team: the coordinator may broadcast; an unknown team changes nothing.
    const b = await t.api.post(
      '/api/v1/conversations',
      { kind: 'broadcast', title: 'Сбор', audience: { teamIds: [team.body.id] } },
      { token: w.coordinator.token },
    );
    assert.equal(b.status, 201, JSON.stringify(b.body));
    assert.deepEqual(
      (b.body.members as any[]).map((m) => m.userId).sort(),
      [w.coordinator.id, w.petrov.id, w.ivanov.id].sort(),
    );
    const count = await t.hub.internals.db.manager.count(ConversationEntity);
    const bad = await t.api.post(
      '/api/v1/conversations',
      { kind: 'broadcast', title: 'Сбор', audience: { teamIds: [randomUUID()] } },
      { token: w.coordinator.token },
    );
    assert.equal(bad.status, 404);
    assert.equal(bad.body.error.code, 'rosters.team_not_found');
    assert.equal(bad.body.error.field, 'audience.teamIds.0');
    assert.equal(await t.hub.internals.db.manager.count(ConversationEntity), count);
  });
});
