import assert from 'node:assert/strict';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';
import { TestSocket } from './support/ws.js';
import {
  auditActions,
  makeRole,
  makeShift,
  makeShifts,
  presenceOf,
  rosterWorld,
} from './rosters/setup.js';

eachDatabase('rosters: teams, presence and shift changes', (kind) => {
  let t: TestHub;
  /** Sockets a test leaves open; closed before the hub stops. */
  const sockets: TestSocket[] = [];
  beforeEach(async () => (t = await startTestHub(kind)));
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await t.close();
  });

  it('static and dynamic teams resolve their members at a time', async () => {
    const w = await rosterWorld(t);
    const c = w.coordinator.token;
    const cardio = await makeRole(t, c, { name: 'Кардиолог', unitId: w.unit.id });
    const anaesth = await makeRole(t, c, { name: 'Анестезиолог', unitId: w.unit.id });
    await makeShift(t, c, {
      roleId: cardio.id,
      userId: w.ivanov.id,
      start: '2026-11-27T08:00:00+03:00',
      end: '2026-11-27T20:00:00+03:00',
    });
    await makeShift(t, c, {
      roleId: anaesth.id,
      userId: w.petrov.id,
      start: '2026-11-27T08:00:00+03:00',
      end: '2026-11-28T08:00:00+03:00',
    });
    const rrt = await t.api.post(
      '/api/v1/rosters/teams',
      { name: 'Бригада быстрого реагирования', kind: 'dynamic', unitId: w.unit.id },
      { token: c },
    );
    assert.equal(rrt.status, 201, JSON.stringify(rrt.body));
    const ot = await t.api.post(
      '/api/v1/rosters/teams',
      { name: 'Операционная бригада', kind: 'static', memberIds: [w.sidorov.id, w.ivanov.id] },
      { token: c },
    );
    assert.equal(ot.status, 201);
    const members = async (id: string, at?: string) =>
      (
        await t.api.get(
          `/api/v1/rosters/teams/${id}/members${at ? `?at=${encodeURIComponent(at)}` : ''}`,
          { token: w.sidorov.token },
        )
      ).body.members as { id: string; roleId: string | null }[];
    assert.deepEqual(
      new Set((await members(rrt.body.id)).map((m) => m.id)),
      new Set([w.ivanov.id, w.petrov.id]),
    );
    // At 22:00 only the anaesthetist is still on shift.
    assert.deepEqual(
      (await members(rrt.body.id, '2026-11-27T22:00:00+03:00')).map((m) => [m.id, m.roleId]),
      [[w.petrov.id, anaesth.id]],
    );
    // A dynamic team of one role only.
    const one = await t.api.post(
      '/api/v1/rosters/teams',
      { name: 'Кардиологи', kind: 'dynamic', roleIds: [cardio.id] },
      { token: c },
    );
    assert.deepEqual(
      (await members(one.body.id)).map((m) => m.id),
      [w.ivanov.id],
    );
    assert.deepEqual(
      (await t.hub.internals.rosters.teamMembers(ot.body.id)).map((m) => m.id),
      [w.sidorov.id, w.ivanov.id],
    );
    const upd = await t.api.patch(
      `/api/v1/rosters/teams/${ot.body.id}`,
      { memberIds: [w.petrov.id] },
      { token: c },
    );
    assert.deepEqual(upd.body.memberIds, [w.petrov.id]);
    const list = await t.api.get('/api/v1/rosters/teams', { token: w.ivanov.token });
    assert.equal(list.body.items.length, 3);
    assert.equal(
      (await t.api.delete(`/api/v1/rosters/teams/${one.body.id}`, { token: c })).status,
      204,
    );
    assert.equal(
      (await t.api.get(`/api/v1/rosters/teams/${one.body.id}`, { token: c })).body.error.code,
      'rosters.team_not_found',
    );
    const bad: [unknown, string, string][] = [
      [{ name: 'X', kind: 'static' }, 'validation.invalid', 'kind'],
      [{ name: 'X', kind: 'dynamic' }, 'validation.invalid', 'kind'],
      [
        { name: 'X', kind: 'static', memberIds: [cardio.id] },
        'rosters.user_not_found',
        'memberIds.0',
      ],
      [
        { name: 'X', kind: 'dynamic', roleIds: [w.ivanov.id] },
        'rosters.role_not_found',
        'roleIds.0',
      ],
      [{ name: 'X', kind: 'dynamic', unitId: w.ivanov.id }, 'directory.unit_not_found', 'unitId'],
    ];
    for (const [body, code, field] of bad) {
      const r = await t.api.post('/api/v1/rosters/teams', body, { token: c });
      assert.equal(r.body.error?.code, code, JSON.stringify([body, r.body]));
      assert.equal(r.body.error.field, field);
    }
    const wrongKind = await t.api.patch(
      `/api/v1/rosters/teams/${ot.body.id}`,
      { roleIds: [cardio.id] },
      { token: c },
    );
    assert.equal(wrongKind.body.error.field, 'roleIds');
    const forbidden = await t.api.post(
      '/api/v1/rosters/teams',
      { name: 'X', kind: 'static', memberIds: [] },
      { token: w.ivanov.token },
    );
    assert.equal(forbidden.status, 403);
    assert.equal((await auditActions(t, 'rosters.team.create')).length, 3);
  });

  it('presence: derived from the roster, manual with an end, a delegate while on duty, pushed to watchers', async () => {
    const w = await rosterWorld(t);
    const c = w.coordinator.token;
    const role = await makeRole(t, c, { name: 'Кардиолог', unitId: w.unit.id });
    await makeShifts(t, c, role.id, [
      [w.ivanov.id, '2026-11-27T08:00:00+03:00', '2026-11-27T20:00:00+03:00'],
      [w.petrov.id, '2026-11-28T08:00:00+03:00', '2026-11-28T20:00:00+03:00'],
    ]);
    const get = (token: string, ids: string[]) => presenceOf(t, token, ids);
    // Иванов and Сидоров have the app open; Петров does not.
    const ivSocket = (await TestSocket.authed(t.hub.url(), w.ivanov.token)).socket;
    const siSocket = (await TestSocket.authed(t.hub.url(), w.sidorov.token)).socket;
    sockets.push(ivSocket, siSocket);
    const [iv, pe, si] = await get(w.sidorov.token, [w.ivanov.id, w.petrov.id, w.sidorov.id]);
    assert.deepEqual(
      [iv!.status, iv!.source, iv!.duties.map((d) => d.roleId)],
      ['available', 'roster', [role.id]],
    );
    assert.deepEqual(
      [pe!.status, pe!.source, pe!.until],
      ['off_duty', 'roster', '2026-11-28T05:00:00.000Z'],
    );
    assert.deepEqual([si!.status, si!.source], ['available', 'default']);
    const pushed: { userIds: string[]; event: string; data: { userId: string; status: string } }[] =
      [];
    t.hub.internals.bus.on('rosters.notify', (e) => pushed.push(e as (typeof pushed)[number]));
    const watch = await t.api.post(
      '/api/v1/presence/watch',
      { userIds: [w.ivanov.id] },
      { token: w.sidorov.token },
    );
    assert.equal(watch.body.items[0].userId, w.ivanov.id);
    // In surgery while on duty: needs a delegate.
    const until = '2026-11-27T15:00:00+03:00';
    const noDelegate = await t.api.put(
      '/api/v1/presence/me',
      { status: 'dnd', until },
      { token: w.ivanov.token },
    );
    assert.equal(noDelegate.status, 400);
    assert.equal(noDelegate.body.error.code, 'rosters.delegate_required');
    const set = await t.api.put(
      '/api/v1/presence/me',
      { status: 'dnd', until, delegateId: w.petrov.id, note: 'В операционной' },
      { token: w.ivanov.token },
    );
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(
      [set.body.status, set.body.source, set.body.delegateId],
      ['dnd', 'manual', w.petrov.id],
    );
    assert.deepEqual(
      pushed.map((p) => [p.userIds, p.event, p.data.status]),
      [[[w.sidorov.id], 'presence.changed', 'dnd']],
    );
    // Off duty, a manual status needs no delegate; it always carries an end.
    const busy = await t.api.put(
      '/api/v1/presence/me',
      { status: 'busy', until: '2026-11-27T13:00:00+03:00' },
      { token: w.sidorov.token },
    );
    assert.equal(busy.status, 200);
    for (const body of [
      { status: 'busy' },
      { status: 'busy', until: '2026-11-27T08:00:00+03:00' },
      { status: 'busy', until: '2027-01-27T08:00:00+03:00' },
      { status: 'offline', until },
      { status: 'busy', until, delegateId: w.sidorov.id },
      { status: 'busy', until, delegateId: role.id },
    ]) {
      const r = await t.api.put('/api/v1/presence/me', body, { token: w.sidorov.token });
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    // The status ends by itself: after 15:00 Иванов is back to the roster's answer.
    t.clock.advance(4 * 3600_000);
    const later = await t.login(w.sidorov.login);
    const [after] = await get(later, [w.ivanov.id]);
    assert.deepEqual([after!.status, after!.source], ['available', 'roster']);
    assert.equal((await auditActions(t, 'presence.set')).length, 2);
    for (const q of ['', 'userIds=', 'userIds=abc']) {
      const r = await t.api.get(`/api/v1/presence?${q}`, { token: later });
      assert.equal(r.status, 400, q);
    }
    const presence = await t.hub.internals.rosters.presenceOf([w.petrov.id]);
    assert.equal(presence[0]!.status, 'off_duty');
  });

  it('presence ops over WebSocket: watch and set, with validation', async () => {
    const w = await rosterWorld(t);
    const pushed: { userIds: string[]; event: string }[] = [];
    t.hub.internals.bus.on('rosters.notify', (e) => pushed.push(e));
    const a = (await TestSocket.authed(t.hub.url(), w.ivanov.token)).socket;
    const b = (await TestSocket.authed(t.hub.url(), w.petrov.token)).socket;
    try {
      const watch = await b.call('presence.watch', { userIds: [w.ivanov.id] });
      assert.equal(watch.ok, true, JSON.stringify(watch));
      assert.equal(watch.data.items[0].status, 'available');
      const set = await a.call('presence.set', {
        status: 'busy',
        until: '2026-11-27T13:00:00+03:00',
      });
      assert.equal(set.ok, true, JSON.stringify(set));
      assert.equal(set.data.status, 'busy');
      assert.deepEqual(
        pushed.map((p) => [p.userIds, p.event]),
        [[[w.petrov.id], 'presence.changed']],
      );
      const bad = await a.call('presence.set', { status: 'busy' });
      assert.equal(bad.ok, false);
      assert.equal(bad.error.code, 'validation.invalid');
      const badWatch = await b.call('presence.watch', { userIds: 'all' });
      assert.equal(badWatch.error.code, 'validation.invalid');
    } finally {
      a.close();
      b.close();
    }
  });

  it('shift changes are announced at each boundary for the hand-off', async () => {
    const w = await rosterWorld(t);
    const c = w.coordinator.token;
    const role = await makeRole(t, c, { name: 'Кардиолог', unitId: w.unit.id });
    // The clock starts at 12:00 Moscow; Иванов until 20:00, then Петров for the night.
    await makeShifts(t, c, role.id, [
      [w.ivanov.id, '2026-11-27T08:00:00+03:00', '2026-11-27T20:00:00+03:00'],
      [w.petrov.id, '2026-11-27T20:00:00+03:00', '2026-11-28T08:00:00+03:00'],
    ]);
    const changes: unknown[] = [];
    t.hub.internals.bus.on('rosters.shift_changed', (e) => changes.push(e));
    const watcher = t.hub.internals.rosters.internals.changes;
    await watcher.tick();
    t.clock.advance(7 * 3600_000); // 19:00
    await watcher.tick();
    assert.deepEqual(changes, []);
    t.clock.advance(2 * 3600_000); // 21:00
    await watcher.tick();
    assert.deepEqual(changes, [
      {
        roleId: role.id,
        at: '2026-11-27T17:00:00.000Z',
        outgoing: [w.ivanov.id],
        incoming: [w.petrov.id],
      },
    ]);
    t.clock.advance(12 * 3600_000); // 09:00 next day: Петров leaves, nobody comes.
    await watcher.tick();
    assert.deepEqual(changes[1], {
      roleId: role.id,
      at: '2026-11-28T05:00:00.000Z',
      outgoing: [w.petrov.id],
      incoming: [],
    });
  });
});
