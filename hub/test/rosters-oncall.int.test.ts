import assert from 'node:assert/strict';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';
import { auditActions, makeRole, makeShift, onCall, rosterWorld } from './rosters/setup.js';

eachDatabase('rosters: roles, shifts and who is on call', (kind) => {
  let t: TestHub;
  beforeEach(async () => (t = await startTestHub(kind)));
  afterEach(async () => t.close());

  for (const [zone, offset] of [
    ['Europe/Moscow', '+03:00'],
    ['Asia/Yekaterinburg', '+05:00'],
    ['Asia/Vladivostok', '+10:00'],
  ] as const) {
    it(`night and «сутки» shifts cross midnight in ${zone}`, async () => {
      const w = await rosterWorld(t, zone);
      const c = w.coordinator.token;
      const role = await makeRole(t, c, { name: 'Дежурный кардиолог', unitId: w.unit.id });
      assert.equal(role.timeZone, zone);
      const night = await makeShift(t, c, {
        roleId: role.id,
        userId: w.ivanov.id,
        start: `2026-12-01T20:00:00${offset}`,
        end: `2026-12-02T08:00:00${offset}`,
      });
      assert.equal(night.kind, 'night');
      assert.equal(night.state, 'published');
      const day24 = await makeShift(t, c, {
        roleId: role.id,
        userId: w.petrov.id,
        start: `2026-12-02T08:00:00${offset}`,
        end: `2026-12-03T08:00:00${offset}`,
      });
      assert.equal(day24.kind, 'day24');
      // Local 23:59 on the 1st and 03:00 on the 2nd: Иванов; 07:59:59 still him; 08:00 Петров.
      for (const local of ['2026-12-01T23:59:00', '2026-12-02T03:00:00', '2026-12-02T07:59:59']) {
        const a = await onCall(t, w.ivanov.token, role.id, `${local}${offset}`);
        assert.deepEqual(
          a.people.map((p) => p.id),
          [w.ivanov.id],
          local,
        );
        assert.equal(a.source, 'shift');
        assert.equal(a.people[0]!.fullName, 'Иванов Иван Сергеевич');
        assert.equal(a.people[0]!.until, new Date(`2026-12-02T08:00:00${offset}`).toISOString());
      }
      const morning = await onCall(t, w.ivanov.token, role.id, `2026-12-02T08:00:00${offset}`);
      assert.deepEqual(
        morning.people.map((p) => p.id),
        [w.petrov.id],
      );
      // The same instant asked in UTC gives the same answer.
      const utc = new Date(`2026-12-02T23:30:00${offset}`).toISOString();
      assert.deepEqual(
        (await onCall(t, w.ivanov.token, role.id, utc)).people.map((p) => p.id),
        [w.petrov.id],
      );
    });
  }

  it('a draft is not on call until published; publishing is audited and answers past times', async () => {
    const w = await rosterWorld(t);
    const c = w.coordinator.token;
    const role = await makeRole(t, c, {
      name: 'Ответственный дежурный врач',
      unitId: w.unit.id,
      fallback: { kind: 'user', id: w.sidorov.id },
    });
    const s = await makeShift(t, c, {
      roleId: role.id,
      userId: w.ivanov.id,
      start: '2026-11-27T08:00:00+03:00',
      end: '2026-11-27T20:00:00+03:00',
      draft: true,
    });
    assert.equal(s.state, 'draft');
    const before = await onCall(t, w.petrov.token, role.id);
    assert.equal(before.source, 'fallback');
    assert.equal(before.reason, 'gap');
    assert.deepEqual(
      before.people.map((p) => [p.id, p.via]),
      [[w.sidorov.id, 'fallback-user']],
    );
    const pub = await t.api.post(
      '/api/v1/rosters/publish',
      { roleId: role.id, from: '2026-11-27T00:00:00+03:00', to: '2026-11-28T00:00:00+03:00' },
      { token: c },
    );
    assert.equal(pub.status, 200, JSON.stringify(pub.body));
    assert.equal(pub.body.published, 1);
    const now = await onCall(t, w.petrov.token, role.id);
    assert.deepEqual(
      now.people.map((p) => p.id),
      [w.ivanov.id],
    );
    // A month later, "who was on call then" still answers from history.
    t.clock.advance(30 * 86400_000);
    const later = await t.login(w.petrov.login);
    const past = await onCall(t, later, role.id, '2026-11-27T12:00:00+03:00');
    assert.deepEqual(
      past.people.map((p) => p.id),
      [w.ivanov.id],
    );
    const audits = await auditActions(t, 'rosters.publish');
    assert.equal(audits.length, 1);
    assert.equal(audits[0]!.details.shifts, 1);
    assert.equal((await auditActions(t, 'rosters.shift.create')).length, 1);
    assert.equal((await auditActions(t, 'rosters.role.create')).length, 1);
  });

  it('a gap follows role → role fallbacks; loops are refused and never hang', async () => {
    const w = await rosterWorld(t);
    const c = w.coordinator.token;
    const chief = await makeRole(t, c, { name: 'Ответственный дежурный', unitId: w.unit.id });
    const anaesth = await makeRole(t, c, {
      name: 'Дежурный анестезиолог-реаниматолог',
      unitId: w.unit.id,
      fallback: { kind: 'role', id: chief.id },
    });
    const cardio = await makeRole(t, c, {
      name: 'Дежурный кардиолог (корпус 1)',
      unitId: w.unit.id,
      fallback: { kind: 'role', id: anaesth.id },
      notes: 'После 22:00 — через приёмное отделение, доб. 2200',
    });
    // Nobody anywhere, and the chain ends without a fallback: said so, not silent.
    const empty = await onCall(t, w.petrov.token, cardio.id);
    assert.equal(empty.source, 'none');
    assert.equal(empty.reason, 'no-fallback');
    assert.deepEqual(empty.chain, [cardio.id, anaesth.id, chief.id]);
    await makeShift(t, c, {
      roleId: chief.id,
      userId: w.sidorov.id,
      start: '2026-11-27T09:00:00+03:00',
      end: '2026-11-28T09:00:00+03:00',
    });
    const fb = await onCall(t, w.petrov.token, cardio.id);
    assert.equal(fb.source, 'fallback');
    assert.equal(fb.reason, 'gap');
    assert.deepEqual(fb.chain, [cardio.id, anaesth.id, chief.id]);
    assert.deepEqual(
      fb.people.map((p) => p.id),
      [w.sidorov.id],
    );
    // Closing the loop chief → cardio is refused.
    const loop = await t.api.patch(
      `/api/v1/rosters/roles/${chief.id}`,
      { fallback: { kind: 'role', id: cardio.id } },
      { token: c },
    );
    assert.equal(loop.status, 400);
    assert.equal(loop.body.error.code, 'rosters.invalid_fallback');
    const self = await t.api.patch(
      `/api/v1/rosters/roles/${chief.id}`,
      { fallback: { kind: 'role', id: chief.id } },
      { token: c },
    );
    assert.equal(self.body.error.code, 'rosters.invalid_fallback');
    // A loop made behind the API's back (old data) still answers, with the reason.
    await t.hub.internals.db.manager.query(
      kind === 'postgres'
        ? `UPDATE duty_role SET fallback_kind = 'role', fallback_id = $1 WHERE id = $2`
        : `UPDATE duty_role SET fallback_kind = 'role', fallback_id = ? WHERE id = ?`,
      [cardio.id, chief.id],
    );
    t.hub.internals.rosters.internals.roles.changed([chief.id]);
    const cyc = await onCall(t, w.petrov.token, cardio.id, '2026-11-30T12:00:00+03:00');
    assert.equal(cyc.source, 'none');
    assert.equal(cyc.reason, 'fallback-cycle');
  });

  it('an emergency take-over answers from now until the end of the current shift', async () => {
    const w = await rosterWorld(t);
    const c = w.coordinator.token;
    const role = await makeRole(t, c, { name: 'Дежурный кардиолог', unitId: w.unit.id });
    await makeShift(t, c, {
      roleId: role.id,
      userId: w.ivanov.id,
      start: '2026-11-27T08:00:00+03:00',
      end: '2026-11-28T08:00:00+03:00',
    });
    const changes: unknown[] = [];
    t.hub.internals.bus.on('rosters.shift_changed', (e) => changes.push(e));
    const r = await t.api.post(
      '/api/v1/rosters/takeovers',
      { roleId: role.id, userId: w.petrov.id, note: 'Иванов заболел' },
      { token: c },
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.source, 'takeover');
    assert.equal(r.body.start, t.clock.now().toISOString());
    assert.equal(r.body.end, new Date('2026-11-28T08:00:00+03:00').toISOString());
    const now = await onCall(t, w.sidorov.token, role.id);
    assert.equal(now.source, 'takeover');
    assert.deepEqual(
      now.people.map((p) => p.id),
      [w.petrov.id],
    );
    // Before the take-over it was Иванов, and history still says so.
    const earlier = await onCall(t, w.sidorov.token, role.id, '2026-11-27T10:00:00+03:00');
    assert.deepEqual(
      earlier.people.map((p) => p.id),
      [w.ivanov.id],
    );
    assert.deepEqual(changes, [
      {
        roleId: role.id,
        at: t.clock.now().toISOString(),
        outgoing: [w.ivanov.id],
        incoming: [w.petrov.id],
      },
    ]);
    assert.equal((await auditActions(t, 'rosters.takeover')).length, 1);
  });

  it('refuses bad input and callers without the permission, changing nothing', async () => {
    const w = await rosterWorld(t);
    const c = w.coordinator.token;
    const role = await makeRole(t, c, { name: 'Дежурный', unitId: w.unit.id });
    const bad: [string, string, unknown, string, string?][] = [
      ['/api/v1/rosters/roles', 'POST', { unitId: w.unit.id }, 'validation.invalid', 'name'],
      [
        '/api/v1/rosters/roles',
        'POST',
        { name: 'X', unitId: 'nope' },
        'validation.invalid',
        'unitId',
      ],
      [
        '/api/v1/rosters/roles',
        'POST',
        { name: 'X', unitId: w.unit.id, extra: 1 },
        'validation.invalid',
        'extra',
      ],
      [
        '/api/v1/rosters/roles',
        'POST',
        { name: 'X', unitId: w.ivanov.id },
        'directory.unit_not_found',
        'unitId',
      ],
      [
        '/api/v1/rosters/roles',
        'POST',
        { name: 'X', unitId: w.unit.id, fallback: { kind: 'user', id: w.unit.id } },
        'rosters.invalid_fallback',
        'fallback.id',
      ],
      [
        '/api/v1/rosters/shifts',
        'POST',
        {
          roleId: role.id,
          userId: w.ivanov.id,
          start: '2026-12-01T20:00:00',
          end: '2026-12-02T08:00:00+03:00',
        },
        'validation.invalid',
        'start',
      ],
      [
        '/api/v1/rosters/shifts',
        'POST',
        {
          roleId: role.id,
          userId: w.ivanov.id,
          start: '2026-12-02T08:00:00+03:00',
          end: '2026-12-01T20:00:00+03:00',
        },
        'validation.invalid',
        'end',
      ],
      [
        '/api/v1/rosters/shifts',
        'POST',
        {
          roleId: role.id,
          userId: w.ivanov.id,
          start: '2026-12-01T08:00:00+03:00',
          end: '2026-12-05T08:00:00+03:00',
        },
        'validation.invalid',
        'end',
      ],
      [
        '/api/v1/rosters/shifts',
        'POST',
        {
          roleId: w.ivanov.id,
          userId: w.ivanov.id,
          start: '2026-12-01T08:00:00+03:00',
          end: '2026-12-01T20:00:00+03:00',
        },
        'rosters.role_not_found',
        'roleId',
      ],
      [
        '/api/v1/rosters/shifts',
        'POST',
        {
          roleId: role.id,
          userId: role.id,
          start: '2026-12-01T08:00:00+03:00',
          end: '2026-12-01T20:00:00+03:00',
        },
        'rosters.user_not_found',
        'userId',
      ],
      [
        '/api/v1/rosters/publish',
        'POST',
        { roleId: role.id, from: 'x', to: 'y' },
        'validation.invalid',
        'from',
      ],
      ['/api/v1/rosters/takeovers', 'POST', { roleId: role.id }, 'validation.invalid', 'userId'],
    ];
    for (const [path, method, body, code, field] of bad) {
      const r = await t.api.request(method, path, { token: c, body });
      assert.equal(
        r.body?.error?.code,
        code,
        `${path} ${JSON.stringify(body)} → ${JSON.stringify(r.body)}`,
      );
      if (field) assert.equal(r.body.error.field, field, JSON.stringify(r.body));
    }
    for (const q of ['', `roleId=${role.id}&at=yesterday`, 'roleId=abc', `roleId=${role.id}&x=1`]) {
      const r = await t.api.get(`/api/v1/oncall?${q}`, { token: w.ivanov.token });
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.code, 'validation.invalid');
    }
    const unknown = await t.api.get(`/api/v1/oncall?roleId=${w.ivanov.id}`, {
      token: w.ivanov.token,
    });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'rosters.role_not_found');
    // A clinician may ask, not plan.
    const forbidden = await t.api.post(
      '/api/v1/rosters/shifts',
      {
        roleId: role.id,
        userId: w.ivanov.id,
        start: '2026-12-01T08:00:00+03:00',
        end: '2026-12-01T20:00:00+03:00',
      },
      { token: w.ivanov.token },
    );
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.error.code, 'auth.forbidden');
    const noRole = await t.api.post(
      '/api/v1/rosters/roles',
      { name: 'X', unitId: w.unit.id },
      { token: w.ivanov.token },
    );
    assert.equal(noRole.status, 403);
    const anon = await t.api.get(`/api/v1/oncall?roleId=${role.id}`);
    assert.equal(anon.status, 401);
    const list = await t.api.get(
      `/api/v1/rosters/shifts?roleId=${role.id}&from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z`,
      { token: c },
    );
    assert.deepEqual(list.body.items, []);
    assert.equal((await auditActions(t, 'rosters.shift.create')).length, 0);
  });
});
