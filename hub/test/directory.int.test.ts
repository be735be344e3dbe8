import assert from 'node:assert/strict';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';

eachDatabase('directory: units and staff', (kind) => {
  let t: TestHub;
  let org: string;
  let site: string;
  let dept: string;
  let unit: string;
  before(async function () {
    this.timeout(60_000);
    t = await startTestHub(kind);
  });
  after(async () => t?.close());

  const admin = () => ({ token: t.admin.token });
  const units = async (includeInactive = false) =>
    (
      await t.api.get(
        `/api/v1/directory/units${includeInactive ? '?includeInactive=true' : ''}`,
        admin(),
      )
    ).body.items;
  const countUsers = async () =>
    (await t.api.get('/api/v1/directory/users?includeInactive=true&limit=1', admin())).body
      .total as number;

  it('creates organization → site → department → unit, children inherit the time zone, and lists them as a tree', async () => {
    const o = await t.api.post(
      '/api/v1/directory/units',
      { kind: 'organization', name: 'ГКБ №1', code: 'gkb1', timeZone: 'Europe/Moscow' },
      admin(),
    );
    assert.equal(o.status, 201, JSON.stringify(o.body));
    org = o.body.id;
    const s = await t.api.post(
      '/api/v1/directory/units',
      { kind: 'site', name: 'Главный корпус', parentId: org },
      admin(),
    );
    assert.equal(s.status, 201);
    assert.equal(s.body.timeZone, 'Europe/Moscow');
    site = s.body.id;
    const d = await t.api.post(
      '/api/v1/directory/units',
      {
        kind: 'department',
        name: 'Кардиология',
        code: 'card',
        parentId: site,
        timeZone: 'Asia/Vladivostok',
      },
      admin(),
    );
    assert.equal(d.body.timeZone, 'Asia/Vladivostok');
    dept = d.body.id;
    const u = await t.api.post(
      '/api/v1/directory/units',
      { kind: 'unit', name: 'Палата интенсивной терапии', code: 'card-icu', parentId: dept },
      admin(),
    );
    assert.equal(u.status, 201);
    unit = u.body.id;
    const tree = await units();
    assert.equal(tree.length, 1);
    assert.equal(tree[0].id, org);
    assert.equal(tree[0].children[0].id, site);
    assert.equal(tree[0].children[0].children[0].children[0].id, unit);
  });

  it('refuses a parent of the wrong kind, a missing organization time zone and a bad time zone, changing nothing', async () => {
    const before = JSON.stringify(await units(true));
    const wrong = await t.api.post(
      '/api/v1/directory/units',
      { kind: 'unit', name: 'X', parentId: site },
      admin(),
    );
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error.code, 'directory.invalid_parent');
    assert.equal(wrong.body.error.field, 'parentId');
    const orphan = await t.api.post(
      '/api/v1/directory/units',
      { kind: 'site', name: 'X' },
      admin(),
    );
    assert.equal(orphan.body.error.code, 'directory.invalid_parent');
    const noTz = await t.api.post(
      '/api/v1/directory/units',
      { kind: 'organization', name: 'X' },
      admin(),
    );
    assert.equal(noTz.status, 400);
    assert.equal(noTz.body.error.field, 'timeZone');
    const badTz = await t.api.post(
      '/api/v1/directory/units',
      { kind: 'organization', name: 'X', timeZone: 'Mars/Olympus' },
      admin(),
    );
    assert.equal(badTz.body.error.code, 'validation.invalid');
    assert.equal(badTz.body.error.field, 'timeZone');
    const missing = await t.api.post(
      '/api/v1/directory/units',
      { kind: 'site', name: 'X', parentId: '00000000-0000-4000-8000-000000000000' },
      admin(),
    );
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'directory.unit_not_found');
    const dupCode = await t.api.post(
      '/api/v1/directory/units',
      { kind: 'unit', name: 'X', code: 'card', parentId: dept },
      admin(),
    );
    assert.equal(dupCode.status, 409);
    assert.equal(dupCode.body.error.code, 'directory.unit_code_taken');
    const badPatch = await t.api.patch(
      `/api/v1/directory/units/${dept}`,
      { timeZone: 'Nowhere/City' },
      admin(),
    );
    assert.equal(badPatch.status, 400);
    const emptyPatch = await t.api.patch(`/api/v1/directory/units/${dept}`, {}, admin());
    assert.equal(emptyPatch.status, 400);
    assert.equal(JSON.stringify(await units(true)), before);
  });

  it('creates a staff member with units and external ids, returns the full view, and audits it', async () => {
    const res = await t.api.post(
      '/api/v1/directory/users',
      {
        login: 'I.Ivanov',
        password: 'correct-horse-battery',
        lastName: 'Иванов',
        firstName: 'Иван',
        middleName: 'Иванович',
        position: 'Врач-кардиолог',
        specialty: 'Кардиология',
        category: 'physician',
        unitIds: [dept],
        externalIds: [{ system: 'urn:mis:practitioner', value: 'P-1' }],
        phone: '+7 (495) 123-45-67',
      },
      admin(),
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.login, 'i.ivanov');
    assert.equal(res.body.fullName, 'Иванов Иван Иванович');
    assert.equal(res.body.shortName, 'Иванов И. И.');
    assert.deepEqual(res.body.units, [{ id: dept, name: 'Кардиология' }]);
    assert.deepEqual(res.body.roles, ['clinician']);
    assert.equal(res.body.active, true);
    const got = await t.api.get(`/api/v1/directory/users/${res.body.id}`, admin());
    // The profile adds presence (DIR-5): not in the app yet, so offline.
    const { presence, ...profile } = got.body;
    assert.deepEqual(profile, res.body);
    assert.deepEqual([presence.status, presence.duties], ['offline', []]);
    const audit = await t.api.get(
      '/api/v1/audit?action=directory.user.create&targetId=' + res.body.id,
      admin(),
    );
    assert.equal(audit.body.items.length, 1);
    assert.equal(audit.body.items[0].actorId, t.admin.id);
    assert.ok(
      !JSON.stringify(audit.body.items[0].details).includes('Иванов'),
      'no names in audit details',
    );
    const token = await t.login('I.IVANOV');
    assert.ok(token);
  });

  it('refuses bad staff input with a code and field, and creates nobody', async () => {
    const before = await countUsers();
    const base = {
      login: 'new.user',
      password: 'correct-horse-battery',
      lastName: 'Новиков',
      firstName: 'Ник',
    };
    const cases: [unknown, number, string, string][] = [
      [{ ...base, login: 'i.ivanov' }, 409, 'directory.login_taken', 'login'],
      [{ ...base, login: 'I.IVANOV' }, 409, 'directory.login_taken', 'login'],
      [
        { ...base, externalIds: [{ system: 'urn:mis:practitioner', value: 'P-1' }] },
        409,
        'directory.external_id_taken',
        'externalIds.0',
      ],
      [
        { ...base, unitIds: [dept, '00000000-0000-4000-8000-000000000000'] },
        404,
        'directory.unit_not_found',
        'unitIds.1',
      ],
      [{ ...base, password: 'short' }, 400, 'validation.invalid', 'password'],
      [{ ...base, lastName: '' }, 400, 'validation.invalid', 'lastName'],
      [{ ...base, login: 'Иван' }, 400, 'validation.invalid', 'login'],
      [{ ...base, category: 'wizard' }, 400, 'validation.invalid', 'category'],
      [{ ...base, email: 'not-an-email' }, 400, 'validation.invalid', 'email'],
      [{ ...base, extra: 1 }, 400, 'validation.invalid', 'extra'],
      [
        {
          ...base,
          externalIds: [
            { system: 's', value: 'a' },
            { system: 's', value: 'a' },
          ],
        },
        400,
        'validation.invalid',
        'externalIds.1',
      ],
    ];
    for (const [body, status, code, field] of cases) {
      const res = await t.api.post('/api/v1/directory/users', body, admin());
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal(res.body.error.code, code);
      assert.equal(res.body.error.field, field);
    }
    assert.equal(await countUsers(), before);
    const search = await t.api.get('/api/v1/directory/users?q=новиков', admin());
    assert.equal(search.body.total, 0);
  });

  it('updates fields, replaces lists, re-indexes search and audits the changed field names', async () => {
    const id = (await t.api.get('/api/v1/directory/users?q=иванов', admin())).body.items[0].id;
    const res = await t.api.patch(
      `/api/v1/directory/users/${id}`,
      {
        lastName: 'Петровский',
        unitIds: [unit],
        position: null,
        roles: ['clinician', 'coordinator'],
      },
      admin(),
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.lastName, 'Петровский');
    assert.equal(res.body.position, null);
    assert.deepEqual(
      res.body.units.map((u: { id: string }) => u.id),
      [unit],
    );
    assert.deepEqual([...res.body.roles].sort(), ['clinician', 'coordinator']);
    assert.equal(
      (await t.api.get('/api/v1/directory/users?q=врач', admin())).body.total,
      0,
      'old position no longer indexed',
    );
    assert.equal(
      (await t.api.get('/api/v1/directory/users?q=иванов%20иван%20иванович', admin())).body.items[0]
        .lastName,
      'Петровский',
    );
    assert.equal(
      (await t.api.get('/api/v1/directory/users?q=петровск', admin())).body.items[0].id,
      id,
    );
    assert.equal(
      (await t.api.get('/api/v1/directory/users?q=интенсив', admin())).body.items[0].id,
      id,
    );
    const audit = await t.api.get(
      `/api/v1/audit?action=directory.user.update&targetId=${id}`,
      admin(),
    );
    assert.deepEqual([...audit.body.items[0].details.changed].sort(), [
      'lastName',
      'position',
      'roles',
      'unitIds',
    ]);
  });

  it('refuses bad updates with a code and changes nothing', async () => {
    const other = await t.makeUser({ lastName: 'Сидоров', firstName: 'Сидор' });
    const id = (await t.api.get('/api/v1/directory/users?q=петровский', admin())).body.items[0].id;
    const before = (await t.api.get(`/api/v1/directory/users/${id}`, admin())).body;
    const otherLogin = (await t.api.get(`/api/v1/directory/users/${other.id}`, admin())).body.login;
    const cases: [unknown, number, string][] = [
      [{ login: otherLogin }, 409, 'directory.login_taken'],
      [{ unitIds: ['00000000-0000-4000-8000-000000000000'] }, 404, 'directory.unit_not_found'],
      [{}, 400, 'validation.invalid'],
      [{ lastName: '123' }, 400, 'validation.invalid'],
      [{ password: 'correct-horse-battery' }, 400, 'validation.invalid'],
    ];
    for (const [body, status, code] of cases) {
      const res = await t.api.patch(`/api/v1/directory/users/${id}`, body, admin());
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal(res.body.error.code, code);
    }
    const missing = await t.api.patch(
      '/api/v1/directory/users/00000000-0000-4000-8000-000000000000',
      { lastName: 'Х' },
      admin(),
    );
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'directory.user_not_found');
    const badId = await t.api.get('/api/v1/directory/users/not-a-uuid', admin());
    assert.equal(badId.status, 400);
    assert.deepEqual((await t.api.get(`/api/v1/directory/users/${id}`, admin())).body, before);
  });

  it('refuses to deactivate a unit with active members or children, then allows it once empty', async () => {
    const busy = await t.api.post(`/api/v1/directory/units/${unit}/deactivate`, undefined, admin());
    assert.equal(busy.status, 409);
    assert.equal(busy.body.error.code, 'directory.unit_in_use');
    const parent = await t.api.post(
      `/api/v1/directory/units/${dept}/deactivate`,
      undefined,
      admin(),
    );
    assert.equal(parent.body.error.code, 'directory.unit_in_use');
    const id = (await t.api.get('/api/v1/directory/users?q=петровский', admin())).body.items[0].id;
    await t.api.patch(`/api/v1/directory/users/${id}`, { unitIds: [dept] }, admin());
    const ok = await t.api.post(`/api/v1/directory/units/${unit}/deactivate`, undefined, admin());
    assert.equal(ok.status, 200);
    assert.equal(ok.body.active, false);
    const dTree = (await units())[0].children[0].children[0];
    assert.equal(dTree.children.length, 0);
    const all = (await units(true))[0].children[0].children[0];
    assert.equal(all.children[0].active, false);
    const audit = await t.api.get(
      `/api/v1/audit?action=directory.unit.deactivate&targetId=${unit}`,
      admin(),
    );
    assert.equal(audit.body.items.length, 1);
  });

  it('deactivation hides the user from search, revokes sessions and blocks sign-in; reactivation restores them', async () => {
    const u = await t.makeUser({ lastName: 'Уходящий', firstName: 'Олег' });
    const me = await t.api.get('/api/v1/me', { token: u.token });
    assert.equal(me.status, 200);
    const off = await t.api.post(`/api/v1/directory/users/${u.id}/deactivate`, undefined, admin());
    assert.equal(off.status, 200);
    assert.equal(off.body.active, false);
    assert.equal((await t.api.get('/api/v1/me', { token: u.token })).status, 401);
    assert.equal((await t.api.get('/api/v1/directory/users?q=уходящ', admin())).body.total, 0);
    assert.equal(
      (await t.api.get('/api/v1/directory/users?q=уходящ&includeInactive=true', admin())).body
        .total,
      1,
    );
    const login = await t.api.post('/api/v1/auth/login', { login: u.login, password: u.password });
    assert.equal(login.status, 401);
    const audit = await t.api.get(
      `/api/v1/audit?action=directory.user.deactivate&targetId=${u.id}`,
      admin(),
    );
    assert.equal(audit.body.items[0].details.revokedSessions, 1);
    const on = await t.api.post(`/api/v1/directory/users/${u.id}/reactivate`, undefined, admin());
    assert.equal(on.body.active, true);
    assert.equal((await t.api.get('/api/v1/directory/users?q=уходящ', admin())).body.total, 1);
    assert.ok(await t.login(u.login));
    const missing = await t.api.post(
      '/api/v1/directory/users/00000000-0000-4000-8000-000000000000/deactivate',
      undefined,
      admin(),
    );
    assert.equal(missing.body.error.code, 'directory.user_not_found');
  });

  it('denies directory management to a clinician (403 auth.forbidden) but lets them read', async () => {
    const c = await t.makeUser({ lastName: 'Клиницист', firstName: 'Карл', category: 'physician' });
    const before = await countUsers();
    for (const [method, path, body] of [
      [
        'POST',
        '/api/v1/directory/users',
        { login: 'x.y', password: 'correct-horse-battery', lastName: 'Икс', firstName: 'Игрек' },
      ],
      ['PATCH', `/api/v1/directory/users/${c.id}`, { lastName: 'Другой' }],
      ['POST', `/api/v1/directory/users/${c.id}/deactivate`, undefined],
      [
        'POST',
        '/api/v1/directory/units',
        { kind: 'organization', name: 'X', timeZone: 'Europe/Moscow' },
      ],
      ['POST', `/api/v1/directory/units/${dept}/deactivate`, undefined],
    ] as const) {
      const res = await t.api.request(method, path, { token: c.token, body });
      assert.equal(res.status, 403, path);
      assert.equal(res.body.error.code, 'auth.forbidden');
    }
    const imp = await t.api.request('POST', '/api/v1/directory/import', {
      token: c.token,
      rawBody: 'a;b',
      headers: { 'content-type': 'text/csv' },
    });
    assert.equal(imp.status, 403);
    assert.equal(await countUsers(), before);
    assert.equal(
      (await t.api.get('/api/v1/directory/users?q=клиницист', { token: c.token })).body.total,
      1,
    );
    assert.equal((await t.api.get('/api/v1/directory/units', { token: c.token })).status, 200);
    assert.equal((await t.api.get('/api/v1/directory/users')).status, 401);
  });
});
