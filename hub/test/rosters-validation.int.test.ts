import assert from 'node:assert/strict';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';
import { auditActions, makeRole, makeShift, rosterWorld } from './rosters/setup.js';

eachDatabase('rosters: bad input on every route changes nothing', (kind) => {
  let t: TestHub;
  beforeEach(async () => (t = await startTestHub(kind)));
  afterEach(async () => t.close());

  it('answers each bad request with its code and field', async () => {
    const w = await rosterWorld(t);
    const c = w.coordinator.token;
    const role = await makeRole(t, c, { name: 'Кардиолог', unitId: w.unit.id });
    const shift = await makeShift(t, c, {
      roleId: role.id,
      userId: w.ivanov.id,
      start: '2026-11-28T08:00:00+03:00',
      end: '2026-11-28T20:00:00+03:00',
    });
    const team = await t.api.post(
      '/api/v1/rosters/teams',
      { name: 'Бригада', kind: 'static', memberIds: [w.ivanov.id] },
      { token: c },
    );
    const swap = await t.api.post(
      '/api/v1/rosters/swaps',
      { kind: 'giveaway', shiftId: shift.id, toUserId: w.petrov.id },
      { token: w.ivanov.token },
    );
    const before = await auditActions(t, 'rosters.shift.update');
    const cases: [string, string, unknown, number, string, string?][] = [
      ['PATCH', `/api/v1/rosters/roles/${role.id}`, {}, 400, 'validation.invalid'],
      ['PATCH', `/api/v1/rosters/roles/nope`, { name: 'X' }, 400, 'validation.invalid', 'id'],
      [
        'PATCH',
        `/api/v1/rosters/roles/${w.ivanov.id}`,
        { name: 'X' },
        404,
        'rosters.role_not_found',
      ],
      [
        'PATCH',
        `/api/v1/rosters/roles/${role.id}`,
        { name: '' },
        400,
        'validation.invalid',
        'name',
      ],
      ['GET', `/api/v1/rosters/roles?unitId=x`, undefined, 400, 'validation.invalid', 'unitId'],
      ['GET', `/api/v1/rosters/roles/${w.ivanov.id}`, undefined, 404, 'rosters.role_not_found'],
      ['PATCH', `/api/v1/rosters/shifts/${shift.id}`, {}, 400, 'validation.invalid'],
      [
        'PATCH',
        `/api/v1/rosters/shifts/${shift.id}`,
        { end: '2026-11-28T07:00:00+03:00' },
        400,
        'validation.invalid',
        'end',
      ],
      [
        'PATCH',
        `/api/v1/rosters/shifts/${shift.id}`,
        { userId: role.id },
        400,
        'rosters.user_not_found',
        'userId',
      ],
      ['PATCH', `/api/v1/rosters/shifts/${role.id}`, { note: 'x' }, 404, 'rosters.shift_not_found'],
      ['GET', `/api/v1/rosters/shifts/${role.id}`, undefined, 404, 'rosters.shift_not_found'],
      [
        'GET',
        `/api/v1/rosters/shifts?roleId=${role.id}`,
        undefined,
        400,
        'validation.invalid',
        'from',
      ],
      [
        'GET',
        `/api/v1/rosters/shifts?from=2026-01-01T00:00:00Z&to=2027-06-01T00:00:00Z`,
        undefined,
        400,
        'validation.invalid',
        'to',
      ],
      [
        'GET',
        `/api/v1/rosters/shifts?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&state=gone`,
        undefined,
        400,
        'validation.invalid',
        'state',
      ],
      [
        'POST',
        '/api/v1/rosters/takeovers',
        { roleId: role.id, userId: w.petrov.id, end: '2026-11-27T08:00:00+03:00' },
        400,
        'validation.invalid',
        'end',
      ],
      [
        'POST',
        '/api/v1/rosters/takeovers',
        { roleId: w.ivanov.id, userId: w.petrov.id },
        404,
        'rosters.role_not_found',
        'roleId',
      ],
      [
        'POST',
        '/api/v1/rosters/publish',
        { roleId: role.id, from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' },
        400,
        'validation.invalid',
        'to',
      ],
      ['GET', '/api/v1/rosters/patterns?roleId=x', undefined, 400, 'validation.invalid', 'roleId'],
      [
        'POST',
        `/api/v1/rosters/swaps/${swap.body.id}/decline`,
        undefined,
        403,
        'rosters.swap_not_allowed',
      ],
      ['POST', `/api/v1/rosters/swaps/nope/accept`, undefined, 400, 'validation.invalid', 'id'],
      [
        'GET',
        `/api/v1/rosters/teams/${team.body.id}/members?at=soon`,
        undefined,
        400,
        'validation.invalid',
        'at',
      ],
      ['PATCH', `/api/v1/rosters/teams/${team.body.id}`, {}, 400, 'validation.invalid'],
      [
        'PATCH',
        `/api/v1/rosters/teams/${team.body.id}`,
        { memberIds: [role.id] },
        400,
        'rosters.user_not_found',
        'memberIds.0',
      ],
      ['DELETE', `/api/v1/rosters/teams/${role.id}`, undefined, 404, 'rosters.team_not_found'],
      [
        'POST',
        '/api/v1/presence/watch',
        { userIds: ['x'] },
        400,
        'validation.invalid',
        'userIds.0',
      ],
      ['POST', '/api/v1/presence/watch', {}, 400, 'validation.invalid', 'userIds'],
      [
        'POST',
        `/api/v1/rosters/roles/${w.ivanov.id}/calendar`,
        undefined,
        404,
        'rosters.role_not_found',
      ],
      [
        'GET',
        `/api/v1/rosters/people/${w.ivanov.id}/calendar.ics`,
        undefined,
        400,
        'validation.invalid',
        'token',
      ],
      [
        'GET',
        `/api/v1/rosters/coverage?from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z&roleId=${w.ivanov.id}`,
        undefined,
        404,
        'rosters.role_not_found',
      ],
    ];
    for (const [method, path, body, status, code, field] of cases) {
      const r = await t.api.request(method, path, {
        token: c,
        ...(body !== undefined ? { body } : {}),
      });
      assert.equal(
        r.status,
        status,
        `${method} ${path} ${JSON.stringify(body)} → ${JSON.stringify(r.body)}`,
      );
      assert.equal(r.body.error.code, code, `${method} ${path}`);
      if (field)
        assert.equal(r.body.error.field, field, `${method} ${path} ${JSON.stringify(r.body)}`);
    }
    // The swap's requester may cancel it; then nobody can accept it.
    const cancel = await t.api.post(`/api/v1/rosters/swaps/${swap.body.id}/cancel`, undefined, {
      token: w.ivanov.token,
    });
    assert.equal(cancel.body.state, 'cancelled');
    const late = await t.api.post(`/api/v1/rosters/swaps/${swap.body.id}/accept`, undefined, {
      token: w.petrov.token,
    });
    assert.equal(late.body.error.code, 'rosters.swap_conflict');
    // A cancelled shift cannot be edited, cancelled again or swapped.
    assert.equal(
      (await t.api.delete(`/api/v1/rosters/shifts/${shift.id}`, { token: c })).body.state,
      'cancelled',
    );
    const edit = await t.api.patch(
      `/api/v1/rosters/shifts/${shift.id}`,
      { note: 'x' },
      { token: c },
    );
    assert.equal(edit.body.error.code, 'rosters.shift_not_editable');
    const again = await t.api.delete(`/api/v1/rosters/shifts/${shift.id}`, { token: c });
    assert.equal(again.body.error.code, 'rosters.shift_not_editable');
    const swapGone = await t.api.post(
      '/api/v1/rosters/swaps',
      { kind: 'giveaway', shiftId: shift.id, toUserId: w.petrov.id },
      { token: c },
    );
    assert.equal(swapGone.body.error.code, 'rosters.swap_conflict');
    assert.deepEqual(await auditActions(t, 'rosters.shift.update'), before);
    // Clinicians cannot plan: each planning route is forbidden to them.
    for (const [method, path] of [
      ['PATCH', `/api/v1/rosters/roles/${role.id}`],
      ['POST', '/api/v1/rosters/publish'],
      ['POST', '/api/v1/rosters/takeovers'],
      ['POST', '/api/v1/rosters/patterns'],
      ['POST', `/api/v1/rosters/swaps/${swap.body.id}/approve`],
      ['DELETE', `/api/v1/rosters/shifts/${shift.id}`],
      ['PATCH', `/api/v1/rosters/teams/${team.body.id}`],
    ] as const) {
      const r = await t.api.request(method, path, { token: w.petrov.token, body: {} });
      assert.equal(r.status, 403, `${method} ${path}`);
    }
  });
});
