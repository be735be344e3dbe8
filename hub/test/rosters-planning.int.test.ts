import assert from 'node:assert/strict';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';
import {
  auditActions,
  makeRole,
  makeShift,
  makeShifts,
  onCall,
  rosterWorld,
} from './rosters/setup.js';

eachDatabase('rosters: patterns, swaps and coverage', (kind) => {
  let t: TestHub;
  beforeEach(async () => (t = await startTestHub(kind)));
  afterEach(async () => t.close());

  it('«сутки через трое» over a month in Asia/Vladivostok, with an exception, published and notified', async () => {
    const w = await rosterWorld(t, 'Asia/Vladivostok');
    const d = await t.makeUser({ lastName: 'Дмитриев' });
    const c = w.coordinator.token;
    const role = await makeRole(t, c, { name: 'Дежурный реаниматолог', unitId: w.unit.id });
    const four = [w.ivanov.id, w.petrov.id, w.sidorov.id, d.id];
    const p = await t.api.post(
      '/api/v1/rosters/patterns',
      {
        roleId: role.id,
        name: 'Сутки через трое',
        kind: 'cycle',
        anchorDate: '2026-12-01',
        startTime: '08:00',
        hours: 24,
        cycle: four,
        exceptions: [{ date: '2026-12-31', userId: w.petrov.id }],
      },
      { token: c },
    );
    assert.equal(p.status, 201, JSON.stringify(p.body));
    const notes: { userIds: string[]; event: string }[] = [];
    t.hub.internals.bus.on('rosters.notify', (e) => notes.push(e));
    const ex = await t.api.post(
      `/api/v1/rosters/patterns/${p.body.id}/expand`,
      { from: '2026-12-01', to: '2026-12-31' },
      { token: c },
    );
    assert.equal(ex.status, 200, JSON.stringify(ex.body));
    assert.equal(ex.body.created, 31);
    assert.equal(notes.length, 0, 'drafts notify nobody');
    const shifts = ex.body.shifts as {
      userId: string;
      start: string;
      end: string;
      kind: string;
      state: string;
    }[];
    for (const [i, s] of shifts.entries()) {
      const day = String(i + 1).padStart(2, '0');
      assert.equal(s.start, new Date(`2026-12-${day}T08:00:00+10:00`).toISOString());
      assert.equal(s.kind, 'day24');
      assert.equal(s.state, 'draft');
      assert.equal(s.userId, i === 30 ? w.petrov.id : four[i % 4], `day ${day}`);
    }
    // Each person works every fourth day: Иванов on the 1st, 5th, … 29th.
    assert.equal(shifts.filter((s) => s.userId === w.ivanov.id).length, 8);
    // Publish the month; coverage then has no gap and no short rest.
    const pub = await t.api.post(
      '/api/v1/rosters/publish',
      { roleId: role.id, from: '2026-12-01T00:00:00+10:00', to: '2027-01-01T00:00:00+10:00' },
      { token: c },
    );
    assert.equal(pub.body.published, 31);
    assert.deepEqual(new Set(notes.map((n) => n.userIds[0])), new Set([...four]));
    assert.ok(notes.every((n) => n.event === 'roster.shifts_published'));
    const cov = await t.api.get(
      `/api/v1/rosters/coverage?roleId=${role.id}&from=2026-12-01T08:00:00%2B10:00&to=2027-01-01T08:00:00%2B10:00`,
      { token: c },
    );
    assert.equal(cov.status, 200, JSON.stringify(cov.body));
    assert.deepEqual(cov.body.gaps, []);
    assert.deepEqual(cov.body.doubleBookings, []);
    // The 30th is Петров's by the cycle and the 31st by the exception: no rest between them.
    assert.equal(cov.body.restViolations.length, 1);
    assert.equal(cov.body.restViolations[0].userId, w.petrov.id);
    assert.equal(cov.body.restViolations[0].restHours, 0);
    const at = await onCall(t, w.ivanov.token, role.id, '2026-12-06T03:00:00+10:00');
    assert.deepEqual(
      at.people.map((x) => x.id),
      [w.ivanov.id],
      'night of the 5th→6th belongs to the 5th',
    );
  });

  it('a swap needs the colleague, then a coordinator; it survives a later edit and re-expansion', async () => {
    const w = await rosterWorld(t);
    const c = w.coordinator.token;
    const role = await makeRole(t, c, {
      name: 'Дежурный кардиолог',
      unitId: w.unit.id,
      swapApproval: true,
    });
    const p = await t.api.post(
      '/api/v1/rosters/patterns',
      {
        roleId: role.id,
        name: 'Неделя',
        kind: 'weekly',
        anchorDate: '2026-11-30',
        startTime: '20:00',
        hours: 12,
        week: [
          { weekday: 1, userId: w.ivanov.id },
          { weekday: 2, userId: w.petrov.id },
        ],
      },
      { token: c },
    );
    assert.equal(p.status, 201, JSON.stringify(p.body));
    const ex = await t.api.post(
      `/api/v1/rosters/patterns/${p.body.id}/expand`,
      { from: '2026-11-30', to: '2026-12-06', publish: true },
      { token: c },
    );
    assert.equal(ex.body.created, 2);
    const [mon, tue] = ex.body.shifts as { id: string; userId: string; kind: string }[];
    assert.equal(mon!.kind, 'night');
    // Иванов gives Monday's night away in exchange for Петров's Tuesday.
    const req = await t.api.post(
      '/api/v1/rosters/swaps',
      { kind: 'swap', shiftId: mon!.id, toUserId: w.petrov.id, counterShiftId: tue!.id },
      { token: w.ivanov.token },
    );
    assert.equal(req.status, 201, JSON.stringify(req.body));
    assert.equal(req.body.state, 'requested');
    assert.equal(req.body.needsApproval, true);
    // Сидоров is not asked; he cannot accept. Иванов cannot approve.
    const wrong = await t.api.post(`/api/v1/rosters/swaps/${req.body.id}/accept`, undefined, {
      token: w.sidorov.token,
    });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.error.code, 'rosters.swap_not_allowed');
    const early = await t.api.post(`/api/v1/rosters/swaps/${req.body.id}/approve`, undefined, {
      token: c,
    });
    assert.equal(early.status, 409);
    assert.equal(early.body.error.code, 'rosters.swap_conflict');
    const acc = await t.api.post(`/api/v1/rosters/swaps/${req.body.id}/accept`, undefined, {
      token: w.petrov.token,
    });
    assert.equal(acc.body.state, 'accepted');
    assert.deepEqual(
      (await onCall(t, w.ivanov.token, role.id, '2026-11-30T23:00:00+03:00')).people.map(
        (x) => x.id,
      ),
      [w.ivanov.id],
      'not applied before approval',
    );
    const notApprover = await t.api.post(
      `/api/v1/rosters/swaps/${req.body.id}/approve`,
      undefined,
      { token: w.petrov.token },
    );
    assert.equal(notApprover.status, 403);
    const ok = await t.api.post(`/api/v1/rosters/swaps/${req.body.id}/approve`, undefined, {
      token: c,
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.state, 'applied');
    const monNight = await onCall(t, w.ivanov.token, role.id, '2026-11-30T23:00:00+03:00');
    assert.deepEqual(
      monNight.people.map((x) => [x.id, x.via]),
      [[w.petrov.id, 'swap']],
    );
    assert.equal(monNight.source, 'swap');
    assert.deepEqual(
      (await onCall(t, w.ivanov.token, role.id, '2026-12-01T23:00:00+03:00')).people.map(
        (x) => x.id,
      ),
      [w.ivanov.id],
    );
    // The coordinator moves Monday's night an hour later; Петров stays on it.
    const edit = await t.api.patch(
      `/api/v1/rosters/shifts/${mon!.id}`,
      { start: '2026-11-30T21:00:00+03:00', end: '2026-12-01T09:00:00+03:00' },
      { token: c },
    );
    assert.equal(edit.status, 200, JSON.stringify(edit.body));
    assert.equal(edit.body.userId, w.petrov.id);
    assert.equal(edit.body.plannedUserId, w.ivanov.id);
    // Re-expanding the pattern keeps the swap too.
    const again = await t.api.post(
      `/api/v1/rosters/patterns/${p.body.id}/expand`,
      { from: '2026-11-30', to: '2026-12-06', publish: true },
      { token: c },
    );
    assert.equal(again.body.created, 0);
    const monAgain = (again.body.shifts as { id: string; userId: string }[]).find(
      (s) => s.id === mon!.id,
    );
    assert.equal(monAgain?.userId, w.petrov.id);
    assert.equal((await auditActions(t, 'rosters.swap.apply')).length, 1);
    assert.equal((await auditActions(t, 'rosters.swap.accept')).length, 1);
    assert.equal((await auditActions(t, 'rosters.swap.approve')).length, 1);
    const twice = await t.api.post(`/api/v1/rosters/swaps/${req.body.id}/accept`, undefined, {
      token: w.petrov.token,
    });
    assert.equal(twice.body.error.code, 'rosters.swap_conflict');
  });

  it('a coordinator sets up a two-way swap on behalf: both shifts move at once, even where approval is required', async () => {
    const w = await rosterWorld(t);
    const c = w.coordinator.token;
    const role = await makeRole(t, c, {
      name: 'Дежурный невролог',
      unitId: w.unit.id,
      swapApproval: true,
    });
    const [mine, theirs, other] = await makeShifts(t, c, role.id, [
      [w.ivanov.id, '2026-12-01T08:00:00+03:00', '2026-12-01T20:00:00+03:00'],
      [w.petrov.id, '2026-12-02T08:00:00+03:00', '2026-12-02T20:00:00+03:00'],
      [w.sidorov.id, '2026-12-03T08:00:00+03:00', '2026-12-03T20:00:00+03:00'],
    ]);
    // A counter shift that is not the colleague's is refused; nothing moves or is audited.
    const wrong = await t.api.post(
      '/api/v1/rosters/swaps',
      { kind: 'swap', shiftId: mine.id, toUserId: w.petrov.id, counterShiftId: other.id },
      { token: c },
    );
    assert.equal(wrong.status, 409);
    assert.equal(wrong.body.error.code, 'rosters.swap_conflict');
    assert.equal(wrong.body.error.field, 'counterShiftId');
    assert.equal((await auditActions(t, 'rosters.swap.request')).length, 0);
    const done = await t.api.post(
      '/api/v1/rosters/swaps',
      { kind: 'swap', shiftId: mine.id, toUserId: w.petrov.id, counterShiftId: theirs.id },
      { token: c },
    );
    assert.equal(done.status, 201, JSON.stringify(done.body));
    assert.equal(done.body.state, 'applied');
    assert.equal(done.body.decidedBy, w.coordinator.id);
    const who = async (at: string) =>
      (await onCall(t, w.sidorov.token, role.id, at)).people.map((x) => x.id);
    assert.deepEqual(await who('2026-12-01T12:00:00+03:00'), [w.petrov.id]);
    assert.deepEqual(await who('2026-12-02T12:00:00+03:00'), [w.ivanov.id]);
    assert.deepEqual(await who('2026-12-03T12:00:00+03:00'), [w.sidorov.id]);
    const requested = await auditActions(t, 'rosters.swap.request');
    assert.equal(requested.length, 1);
    assert.equal(requested[0]!.actorId, w.coordinator.id);
    assert.equal(requested[0]!.details.onBehalf, true);
    assert.equal(requested[0]!.details.counterShiftId, theirs.id);
  });

  it('a give-away without approval applies on acceptance; a coordinator can act on behalf', async () => {
    const w = await rosterWorld(t);
    const c = w.coordinator.token;
    const role = await makeRole(t, c, { name: 'Дежурный терапевт', unitId: w.unit.id });
    const [s1, s2] = await makeShifts(t, c, role.id, [
      [w.ivanov.id, '2026-11-28T08:00:00+03:00', '2026-11-28T20:00:00+03:00'],
      [w.ivanov.id, '2026-11-29T08:00:00+03:00', '2026-11-29T20:00:00+03:00'],
    ]);
    const notOwner = await t.api.post(
      '/api/v1/rosters/swaps',
      { kind: 'giveaway', shiftId: s1.id, toUserId: w.sidorov.id },
      { token: w.petrov.token },
    );
    assert.equal(notOwner.body.error.code, 'rosters.swap_not_allowed');
    const give = await t.api.post(
      '/api/v1/rosters/swaps',
      { kind: 'giveaway', shiftId: s1.id, toUserId: w.petrov.id },
      { token: w.ivanov.token },
    );
    assert.equal(give.body.state, 'requested');
    const mine = await t.api.get('/api/v1/rosters/swaps', { token: w.petrov.token });
    assert.deepEqual(
      mine.body.items.map((x: { id: string }) => x.id),
      [give.body.id],
    );
    const acc = await t.api.post(`/api/v1/rosters/swaps/${give.body.id}/accept`, undefined, {
      token: w.petrov.token,
    });
    assert.equal(acc.body.state, 'applied');
    assert.deepEqual(
      (await onCall(t, w.sidorov.token, role.id, '2026-11-28T12:00:00+03:00')).people.map(
        (x) => x.id,
      ),
      [w.petrov.id],
    );
    const behalf = await t.api.post(
      '/api/v1/rosters/swaps',
      { kind: 'substitution', shiftId: s2.id, toUserId: w.sidorov.id, note: 'Иванов на курсах' },
      { token: c },
    );
    assert.equal(behalf.status, 201);
    assert.equal(behalf.body.state, 'applied');
    assert.equal(behalf.body.decidedBy, w.coordinator.id);
    assert.deepEqual(
      (await onCall(t, w.petrov.token, role.id, '2026-11-29T12:00:00+03:00')).people.map(
        (x) => x.id,
      ),
      [w.sidorov.id],
    );
    // A substitution on the shift under way hands the role over at once.
    const today = await makeShift(t, c, {
      roleId: role.id,
      userId: w.ivanov.id,
      start: '2026-11-27T08:00:00+03:00',
      end: '2026-11-27T20:00:00+03:00',
    });
    const changes: unknown[] = [];
    const told: { userIds: string[]; event: string }[] = [];
    t.hub.internals.bus.on('rosters.shift_changed', (e) => changes.push(e));
    t.hub.internals.bus.on('rosters.notify', (e) => told.push(e));
    const now = await t.api.post(
      '/api/v1/rosters/swaps',
      { kind: 'substitution', shiftId: today.id, toUserId: w.sidorov.id },
      { token: c },
    );
    assert.equal(now.body.state, 'applied');
    assert.deepEqual(changes, [
      {
        roleId: role.id,
        at: t.clock.now().toISOString(),
        outgoing: [w.ivanov.id],
        incoming: [w.sidorov.id],
      },
    ]);
    assert.deepEqual(told.find((n) => n.event === 'roster.swap_applied')?.userIds, [
      w.ivanov.id,
      w.sidorov.id,
    ]);
    // Bad requests change nothing.
    const bad: [unknown, string, string][] = [
      [
        { kind: 'swap', shiftId: s1.id, toUserId: w.sidorov.id },
        'validation.invalid',
        'counterShiftId',
      ],
      [
        { kind: 'giveaway', shiftId: s1.id, toUserId: w.petrov.id },
        'validation.invalid',
        'toUserId',
      ],
      [
        { kind: 'giveaway', shiftId: role.id, toUserId: w.sidorov.id },
        'rosters.shift_not_found',
        'shiftId',
      ],
      [
        { kind: 'giveaway', shiftId: s1.id, toUserId: role.id },
        'rosters.user_not_found',
        'toUserId',
      ],
      [{ kind: 'trade', shiftId: s1.id, toUserId: w.sidorov.id }, 'validation.invalid', 'kind'],
    ];
    for (const [body, code, field] of bad) {
      const r = await t.api.post('/api/v1/rosters/swaps', body, { token: c });
      assert.equal(r.body.error?.code, code, JSON.stringify([body, r.body]));
      assert.equal(r.body.error.field, field);
    }
    const missing = await t.api.post(`/api/v1/rosters/swaps/${role.id}/accept`, undefined, {
      token: c,
    });
    assert.equal(missing.body.error.code, 'rosters.swap_not_found');
  });

  it('coverage reports gaps, double bookings and short rests; bad queries are refused', async () => {
    const w = await rosterWorld(t);
    const c = w.coordinator.token;
    const a = await makeRole(t, c, { name: 'Кардиолог', unitId: w.unit.id });
    const b = await makeRole(t, c, { name: 'Терапевт', unitId: w.unit.id });
    await makeShift(t, c, {
      roleId: a.id,
      userId: w.ivanov.id,
      start: '2026-12-01T08:00:00+03:00',
      end: '2026-12-01T20:00:00+03:00',
    });
    await makeShift(t, c, {
      roleId: a.id,
      userId: w.petrov.id,
      start: '2026-12-01T22:00:00+03:00',
      end: '2026-12-02T08:00:00+03:00',
    });
    // Иванов is also on Терапевт overlapping, and back after 4 hours on Кардиолог.
    await makeShift(t, c, {
      roleId: b.id,
      userId: w.ivanov.id,
      start: '2026-12-01T18:00:00+03:00',
      end: '2026-12-02T08:00:00+03:00',
    });
    await makeShift(t, c, {
      roleId: a.id,
      userId: w.ivanov.id,
      start: '2026-12-02T12:00:00+03:00',
      end: '2026-12-02T20:00:00+03:00',
    });
    const q = (extra: string) =>
      t.api.get(
        `/api/v1/rosters/coverage?from=2026-12-01T08:00:00%2B03:00&to=2026-12-02T20:00:00%2B03:00${extra}`,
        { token: c },
      );
    const r = await q(`&roleId=${a.id}&minRestHours=11`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.gaps, [
      { roleId: a.id, start: '2026-12-01T17:00:00.000Z', end: '2026-12-01T19:00:00.000Z' },
      { roleId: a.id, start: '2026-12-02T05:00:00.000Z', end: '2026-12-02T09:00:00.000Z' },
    ]);
    assert.equal(r.body.doubleBookings.length, 1);
    assert.equal(r.body.doubleBookings[0].userId, w.ivanov.id);
    assert.equal(r.body.doubleBookings[0].start, '2026-12-01T15:00:00.000Z');
    assert.equal(r.body.doubleBookings[0].end, '2026-12-01T17:00:00.000Z');
    assert.deepEqual(
      r.body.restViolations.map((v: { userId: string; restHours: number }) => [
        v.userId,
        v.restHours,
      ]),
      [[w.ivanov.id, 4]],
    );
    const loose = await q(`&roleId=${a.id}&minRestHours=3`);
    assert.deepEqual(loose.body.restViolations, []);
    const unit = await q(`&unitId=${w.unit.id}`);
    assert.equal(unit.body.gaps.filter((g: { roleId: string }) => g.roleId === b.id).length, 2);
    for (const extra of ['&minRestHours=-1', '&minRestHours=abc', '&bogus=1', `&roleId=x`]) {
      const bad = await q(extra);
      assert.equal(bad.status, 400, extra);
      assert.equal(bad.body.error.code, 'validation.invalid');
    }
    const forbidden = await t.api.get(
      `/api/v1/rosters/coverage?from=2026-12-01T08:00:00Z&to=2026-12-02T08:00:00Z`,
      { token: w.ivanov.token },
    );
    assert.equal(forbidden.status, 403);
  });

  it('refuses bad patterns and expansions', async () => {
    const w = await rosterWorld(t);
    const c = w.coordinator.token;
    const role = await makeRole(t, c, { name: 'Кардиолог', unitId: w.unit.id });
    const base = {
      roleId: role.id,
      name: 'П',
      anchorDate: '2026-12-01',
      startTime: '08:00',
      hours: 24,
    };
    const bad: [unknown, string, string][] = [
      [{ ...base, kind: 'cycle' }, 'validation.invalid', 'kind'],
      [{ ...base, kind: 'weekly', cycle: [w.ivanov.id] }, 'validation.invalid', 'kind'],
      [
        { ...base, kind: 'cycle', cycle: [w.ivanov.id], startTime: '25:00' },
        'validation.invalid',
        'startTime',
      ],
      [
        { ...base, kind: 'cycle', cycle: [w.ivanov.id], anchorDate: '2026-13-01' },
        'validation.invalid',
        'anchorDate',
      ],
      [{ ...base, kind: 'cycle', cycle: [w.ivanov.id], hours: 0 }, 'validation.invalid', 'hours'],
      [
        { ...base, kind: 'cycle', cycle: [w.ivanov.id, role.id] },
        'rosters.user_not_found',
        'cycle.1',
      ],
      [
        {
          ...base,
          kind: 'weekly',
          week: [
            { weekday: 1, userId: w.ivanov.id },
            { weekday: 1, userId: w.petrov.id },
          ],
        },
        'validation.invalid',
        'week',
      ],
    ];
    for (const [body, code, field] of bad) {
      const r = await t.api.post('/api/v1/rosters/patterns', body, { token: c });
      assert.equal(r.body.error?.code, code, JSON.stringify([body, r.body]));
      assert.equal(r.body.error.field, field);
    }
    const missing = await t.api.post(
      `/api/v1/rosters/patterns/${role.id}/expand`,
      { from: '2026-12-01', to: '2026-12-02' },
      { token: c },
    );
    assert.equal(missing.body.error.code, 'rosters.pattern_not_found');
    const p = await t.api.post(
      '/api/v1/rosters/patterns',
      { ...base, kind: 'cycle', cycle: [w.ivanov.id] },
      { token: c },
    );
    const backwards = await t.api.post(
      `/api/v1/rosters/patterns/${p.body.id}/expand`,
      { from: '2026-12-05', to: '2026-12-01' },
      { token: c },
    );
    assert.equal(backwards.body.error.field, 'to');
    assert.equal((await auditActions(t, 'rosters.pattern.expand')).length, 0);
  });
});
