import assert from 'node:assert/strict';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';
import { TestSocket } from './support/ws.js';
import {
  makeRole,
  makeShift,
  makeShifts,
  presenceOf,
  rosterWorld,
  type Presence,
} from './rosters/setup.js';

eachDatabase('rosters: presence from connections, search results and profiles', (kind) => {
  let t: TestHub;
  const sockets: TestSocket[] = [];
  beforeEach(async () => (t = await startTestHub(kind)));
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await t.close();
  });

  const connect = async (token: string) => {
    const { socket, reply } = await TestSocket.authed(t.hub.url(), token);
    assert.equal(reply.ok, true, JSON.stringify(reply));
    sockets.push(socket);
    return socket;
  };
  const presence = (token: string, ids: string[]) => presenceOf(t, token, ids);
  /** Polls until `check` holds (a socket close reaches the hub asynchronously). */
  const eventually = async (check: () => Promise<boolean>, what: string) => {
    const deadline = Date.now() + 5000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`not in time: ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('offline when nobody is connected; manual and off duty say more; duties still listed', async () => {
    const w = await rosterWorld(t);
    const c = w.coordinator.token;
    const role = await makeRole(t, c, { name: 'Кардиолог', unitId: w.unit.id });
    // The clock stands at 12:00 Moscow: Иванов is on shift, Петров only tomorrow.
    await makeShifts(t, c, role.id, [
      [w.ivanov.id, '2026-11-27T08:00:00+03:00', '2026-11-27T20:00:00+03:00'],
      [w.petrov.id, '2026-11-28T08:00:00+03:00', '2026-11-28T20:00:00+03:00'],
    ]);
    const ids = [w.ivanov.id, w.petrov.id, w.sidorov.id];
    const asked = await presence(c, ids);
    assert.deepEqual(
      asked.map((p) => [p.status, p.source, p.duties.map((d) => d.roleId)]),
      [
        // On duty, but not in the app: offline, and the duty is still shown.
        ['offline', 'connection', [role.id]],
        // Rostered, not now: off duty wins over offline.
        ['off_duty', 'roster', []],
        ['offline', 'connection', []],
      ],
    );
    assert.equal(asked[1]!.until, '2026-11-28T05:00:00.000Z');
    await connect(w.ivanov.token);
    await connect(w.petrov.token);
    const sidorov = await connect(w.sidorov.token);
    assert.deepEqual(
      (await presence(c, ids)).map((p) => [p.status, p.source]),
      [
        ['available', 'roster'],
        ['off_duty', 'roster'],
        ['available', 'default'],
      ],
    );
    // A manual status wins over everything, connected or not.
    const set = await t.api.put(
      '/api/v1/presence/me',
      { status: 'busy', until: '2026-11-27T14:00:00+03:00' },
      { token: w.sidorov.token },
    );
    assert.equal(set.status, 200, JSON.stringify(set.body));
    sidorov.close();
    await eventually(async () => !t.hub.internals.realtime.isOnline(w.sidorov.id), 'closed');
    const [manual] = await presence(c, [w.sidorov.id]);
    assert.deepEqual([manual!.status, manual!.source], ['busy', 'manual']);
    // When it ends, the derived answer returns: offline.
    t.clock.advance(3 * 3600_000);
    const later = await t.login(w.coordinator.login);
    const [ended] = await presence(later, [w.sidorov.id]);
    assert.deepEqual([ended!.status, ended!.source], ['offline', 'connection']);
  });

  it('a user connecting and disconnecting is pushed to watchers over their socket', async () => {
    const w = await rosterWorld(t);
    const watcher = await connect(w.petrov.token);
    const watch = await watcher.call('presence.watch', { userIds: [w.ivanov.id] });
    assert.equal(watch.ok, true, JSON.stringify(watch));
    assert.equal(watch.data.items[0].status, 'offline');
    const changes = () =>
      watcher
        .events()
        .filter((e) => e.event === 'presence.changed' && e.data.userId === w.ivanov.id)
        .map((e) => e.data.status as string);
    // Иванов opens the app on two devices: one change only.
    const first = await connect(w.ivanov.token);
    await watcher.next((f) => f.event === 'presence.changed' && f.data.status === 'available');
    const second = await connect(w.ivanov.token);
    // Closing one of two sockets changes nothing; closing the last one does.
    first.close();
    await eventually(async () => t.hub.internals.realtime.connectionCount() === 2, 'one closed');
    assert.deepEqual(changes(), ['available']);
    second.close();
    await watcher.next((f) => f.event === 'presence.changed' && f.data.status === 'offline');
    assert.deepEqual(changes(), ['available', 'offline']);
    // Someone nobody watches comes and goes: nothing is pushed.
    const sidorov = await connect(w.sidorov.token);
    sidorov.close();
    await eventually(async () => !t.hub.internals.realtime.isOnline(w.sidorov.id), 'closed');
    await t.hub.internals.messaging.roleEvents.settled();
    assert.equal(
      watcher.events().filter((e) => e.event === 'presence.changed').length,
      2,
      'only Иванов’s two changes',
    );
  });

  it('a hub shutting down does not announce its users as offline; a restart starts clean', async () => {
    const w = await rosterWorld(t);
    const watcher = await connect(w.petrov.token);
    const watch = await watcher.call('presence.watch', { userIds: [w.ivanov.id] });
    assert.equal(watch.ok, true);
    await connect(w.ivanov.token);
    await watcher.next((f) => f.event === 'presence.changed' && f.data.status === 'available');
    const seen: { userId: string; online: boolean }[] = [];
    t.hub.internals.bus.on('realtime.presence', (e) => seen.push(e));
    const notified: string[] = [];
    t.hub.internals.bus.on('rosters.notify', (e) => notified.push(e.event));
    await t.hub.stop();
    assert.deepEqual(seen, []);
    assert.deepEqual(notified, []);
    // After a restart nobody is connected: offline again, and connections are announced again.
    await t.hub.start();
    assert.equal(t.hub.internals.realtime.isOnline(w.ivanov.id), false);
    const again = await connect(w.ivanov.token);
    await eventually(async () => seen.length === 1, 'announced after restart');
    assert.deepEqual(seen, [{ userId: w.ivanov.id, online: true }]);
    again.close();
    await eventually(async () => seen.length === 2, 'offline after restart');
    assert.deepEqual(seen[1], { userId: w.ivanov.id, online: false });
  });

  it('directory search results and profiles carry presence and current duties; search watches', async () => {
    const w = await rosterWorld(t);
    const c = w.coordinator.token;
    const role = await makeRole(t, c, { name: 'Дежурный кардиолог', unitId: w.unit.id });
    await makeShift(t, c, {
      roleId: role.id,
      userId: w.ivanov.id,
      start: '2026-11-27T08:00:00+03:00',
      end: '2026-11-28T08:00:00+03:00',
    });
    await connect(w.ivanov.token);
    const found = await t.api.get(`/api/v1/directory/users?q=${encodeURIComponent('Иванов')}`, {
      token: w.sidorov.token,
    });
    assert.equal(found.status, 200, JSON.stringify(found.body));
    const hit = (found.body.items as { id: string; presence?: Presence }[]).find(
      (u) => u.id === w.ivanov.id,
    );
    assert.ok(hit?.presence, JSON.stringify(found.body.items));
    assert.deepEqual(
      [hit.presence.status, hit.presence.source, hit.presence.duties],
      [
        'available',
        'roster',
        [{ roleId: role.id, roleName: 'Дежурный кардиолог', until: '2026-11-28T05:00:00.000Z' }],
      ],
    );
    // The searcher now watches the people found.
    const rosters = t.hub.internals.rosters.internals;
    assert.deepEqual(rosters.presence.watchersOf(w.ivanov.id), [w.sidorov.id]);
    // Every result has presence (Петров: not in the app).
    const all = await t.api.get('/api/v1/directory/users?q=%D0%9F%D0%B5%D1%82%D1%80%D0%BE%D0%B2', {
      token: w.sidorov.token,
    });
    assert.ok(all.body.items.length > 0);
    for (const u of all.body.items as { presence?: Presence }[])
      assert.equal(u.presence?.status, 'offline');
    // A new search replaces what the searcher watches.
    assert.deepEqual(rosters.presence.watchersOf(w.ivanov.id), []);
    assert.deepEqual(rosters.presence.watchersOf(w.petrov.id), [w.sidorov.id]);
    const profile = await t.api.get(`/api/v1/directory/users/${w.ivanov.id}`, {
      token: w.petrov.token,
    });
    assert.equal(profile.status, 200);
    assert.equal(profile.body.presence.status, 'available');
    assert.deepEqual(
      profile.body.presence.duties.map((d: { roleId: string }) => d.roleId),
      [role.id],
    );
    // A bad search answers 400 and changes no watch.
    const bad = await t.api.get('/api/v1/directory/users?limit=0', { token: w.sidorov.token });
    assert.equal(bad.status, 400);
    assert.deepEqual(rosters.presence.watchersOf(w.petrov.id), [w.sidorov.id]);
  });

  it('/api/v1/me lists permissions: a coordinator may manage rosters, a clinician may not', async () => {
    const w = await rosterWorld(t);
    const coordinator = await t.api.get('/api/v1/me', { token: w.coordinator.token });
    const clinician = await t.api.get('/api/v1/me', { token: w.ivanov.token });
    assert.ok(coordinator.body.permissions.includes('rosters.manage'));
    assert.ok(coordinator.body.permissions.includes('messaging.broadcast'));
    assert.ok(!clinician.body.permissions.includes('rosters.manage'));
    assert.ok(clinician.body.permissions.includes('directory.read'));
  });
});
