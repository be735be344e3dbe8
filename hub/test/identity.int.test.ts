import assert from 'node:assert/strict';
import { eachDatabase } from './support/databases.js';
import { startTestHub, TEST_PASSWORD, type TestHub } from './support/hub.js';

eachDatabase('identity: sign-in, sessions, throttling, roles', (kind) => {
  let t: TestHub;
  beforeEach(async () => {
    t = await startTestHub(kind, {
      sessionIdleSeconds: 600,
      sessionAbsoluteSeconds: 3600,
      loginMaxFailuresPerAccount: 3,
      loginMaxFailuresPerAddress: 30,
      loginLockoutSeconds: 60,
      loginLockoutMaxSeconds: 300,
    });
  });
  afterEach(async () => t.close());

  async function audit(action: string) {
    const res = await t.api.get(`/api/v1/audit?action=${action}&limit=500`, {
      token: t.admin.token,
    });
    assert.equal(res.status, 200);
    return res.body.items as any[];
  }

  it('login with the right password returns a token, the user and a device-bound session; /me answers', async () => {
    const u = await t.makeUser({ lastName: 'Сидоров', firstName: 'Пётр', middleName: 'Ильич' });
    const res = await t.api.post('/api/v1/auth/login', {
      login: u.login.toUpperCase(),
      password: TEST_PASSWORD,
      device: { name: 'ПК ординаторской', platform: 'win32' },
    });
    assert.equal(res.status, 200);
    assert.match(res.body.token, /^[A-Za-z0-9_-]{43}$/, '256-bit base64url token');
    assert.equal(res.body.user.id, u.id);
    assert.equal(res.body.user.fullName, 'Сидоров Пётр Ильич');
    const me = await t.api.get('/api/v1/me', { token: res.body.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.id, u.id);
    assert.ok(me.body.permissions.includes('directory.read'));
    const sessions = await t.api.get('/api/v1/auth/sessions', { token: res.body.token });
    const current = sessions.body.items.find((s: any) => s.current);
    assert.equal(current.device.name, 'ПК ординаторской');
    assert.equal(current.device.platform, 'win32');
    const logins = await audit('auth.login');
    assert.ok(logins.some((r) => r.actorId === u.id && r.outcome === 'success'));
  });

  it('the token is stored only as a hash', async () => {
    const u = await t.makeUser();
    const rows = await t.hub.internals.db.manager.query('SELECT token_hash FROM auth_session');
    for (const r of rows) assert.notEqual(r.token_hash, u.token);
    assert.ok(rows.some((r: any) => /^[0-9a-f]{64}$/.test(r.token_hash)));
  });

  it('a wrong password or unknown login gets 401 auth.invalid_credentials and an audited failure', async () => {
    const u = await t.makeUser();
    const wrong = await t.api.post('/api/v1/auth/login', {
      login: u.login,
      password: 'not-the-password',
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'auth.invalid_credentials');
    const unknown = await t.api.post('/api/v1/auth/login', {
      login: 'nobody',
      password: 'whatever-123',
    });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.error.code, 'auth.invalid_credentials');
    const failures = (await audit('auth.login')).filter((r) => r.outcome === 'failure');
    assert.equal(failures.length, 2);
    assert.deepEqual(failures.map((r) => r.details.reason).sort(), [
      'unknown_login',
      'wrong_password',
    ]);
    const unknownRow = failures.find((r) => r.details.reason === 'unknown_login');
    assert.match(unknownRow.details.loginDigest, /^[0-9a-f]{16}$/);
    assert.ok(
      !JSON.stringify(unknownRow).includes('nobody'),
      'an unknown login is not stored as typed',
    );
  });

  it('bad login bodies get 400 validation.invalid naming the field', async () => {
    for (const [body, field] of [
      [{ password: 'x' }, 'login'],
      [{ login: 'a', password: '' }, 'password'],
      [{ login: 'a', password: 'b', extra: 1 }, 'extra'],
      [{ login: 'a', password: 'b', device: { name: '' } }, 'device.name'],
    ] as const) {
      const res = await t.api.post('/api/v1/auth/login', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, 'validation.invalid');
      assert.equal(res.body.error.field, field);
      assert.ok(res.body.error.requestId);
    }
    const malformed = await t.api.request('POST', '/api/v1/auth/login', {
      rawBody: '{"login":',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'http.malformed_json');
    const wrongType = await t.api.request('POST', '/api/v1/auth/login', {
      rawBody: 'login=a',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(wrongType.status, 415);
    const sessions = await t.hub.internals.db.manager.query(
      'SELECT COUNT(*) AS n FROM auth_session',
    );
    assert.equal(Number(sessions[0].n), 1, 'only the admin session exists');
  });

  it('after repeated failures the account is throttled (429 + Retry-After) even with the right password, and recovers', async () => {
    const u = await t.makeUser();
    for (let i = 0; i < 3; i++) {
      const r = await t.api.post('/api/v1/auth/login', {
        login: u.login,
        password: 'wrong-password',
      });
      assert.equal(r.status, 401);
    }
    const locked = await t.api.post('/api/v1/auth/login', {
      login: u.login,
      password: TEST_PASSWORD,
    });
    assert.equal(locked.status, 429);
    assert.equal(locked.body.error.code, 'auth.throttled');
    assert.equal(locked.headers.get('retry-after'), '60');
    const lockouts = await audit('auth.lockout');
    assert.ok(lockouts.some((r) => r.targetId === u.id && r.details.scope === 'account'));
    t.clock.advanceSeconds(61);
    const ok = await t.api.post('/api/v1/auth/login', { login: u.login, password: TEST_PASSWORD });
    assert.equal(ok.status, 200);
  });

  it('lockouts grow but stay capped, so an attacker never locks a victim out for longer than the maximum', async () => {
    const u = await t.makeUser();
    const lengths: number[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 3; i++)
        await t.api.post('/api/v1/auth/login', { login: u.login, password: 'bad-password' });
      const r = await t.api.post('/api/v1/auth/login', { login: u.login, password: TEST_PASSWORD });
      assert.equal(r.status, 429);
      const after = Number(r.headers.get('retry-after'));
      lengths.push(after);
      t.clock.advanceSeconds(after + 1);
    }
    assert.deepEqual(lengths, [60, 120, 240, 300, 300]);
    const ok = await t.api.post('/api/v1/auth/login', { login: u.login, password: TEST_PASSWORD });
    assert.equal(ok.status, 200);
  });

  it('too many failures from one address throttle that address across accounts', async () => {
    for (let i = 0; i < 30; i++) {
      const r = await t.api.post('/api/v1/auth/login', {
        login: `spray${i}`,
        password: 'Password1!',
      });
      assert.equal(r.status, 401);
    }
    const blocked = await t.api.post('/api/v1/auth/login', {
      login: 'spray-next',
      password: 'Password1!',
    });
    assert.equal(blocked.status, 429);
    const lockouts = await audit('auth.lockout');
    assert.ok(lockouts.some((r) => r.details.scope === 'address'));
  });

  it('an idle session expires after the idle limit; an active one ends at the absolute limit', async () => {
    const u = await t.makeUser();
    t.clock.advanceSeconds(599);
    assert.equal((await t.api.get('/api/v1/me', { token: u.token })).status, 200);
    t.clock.advanceSeconds(599);
    assert.equal(
      (await t.api.get('/api/v1/me', { token: u.token })).status,
      200,
      'use keeps it alive',
    );
    t.clock.advanceSeconds(601);
    const idle = await t.api.get('/api/v1/me', { token: u.token });
    assert.equal(idle.status, 401);
    assert.equal(idle.body.error.code, 'auth.session_expired');

    const token = await t.login(u.login);
    for (let i = 0; i < 7; i++) {
      t.clock.advanceSeconds(500);
      assert.equal(
        (await t.api.get('/api/v1/me', { token })).status,
        200,
        `in use at ${(i + 1) * 500} s`,
      );
    }
    t.clock.advanceSeconds(200);
    const absolute = await t.api.get('/api/v1/me', { token });
    assert.equal(absolute.status, 401, 'past 3600 s since sign-in');
  });

  it('logout and revocation make the token fail with 401 at once, and are audited', async () => {
    const u = await t.makeUser();
    const second = await t.login(u.login);
    const list = await t.api.get('/api/v1/auth/sessions', { token: u.token });
    assert.equal(list.body.items.length, 2);
    const other = list.body.items.find((s: any) => !s.current);
    assert.equal(
      (await t.api.delete(`/api/v1/auth/sessions/${other.id}`, { token: u.token })).status,
      204,
    );
    const revoked = await t.api.get('/api/v1/me', { token: second });
    assert.equal(revoked.status, 401);
    assert.equal(revoked.body.error.code, 'auth.session_expired');
    assert.equal(
      (await t.api.post('/api/v1/auth/logout', undefined, { token: u.token })).status,
      204,
    );
    assert.equal((await t.api.get('/api/v1/me', { token: u.token })).status, 401);
    assert.equal((await audit('auth.session.revoke')).length, 1);
    assert.equal((await audit('auth.logout')).length, 1);
  });

  it("a user cannot revoke another user's session (404), an admin can (and can revoke all)", async () => {
    const a = await t.makeUser();
    const b = await t.makeUser();
    const bSessions = await t.api.get(`/api/v1/admin/users/${b.id}/sessions`, {
      token: t.admin.token,
    });
    assert.equal(bSessions.status, 200);
    const sid = bSessions.body.items[0].id;
    const denied = await t.api.delete(`/api/v1/auth/sessions/${sid}`, { token: a.token });
    assert.equal(denied.status, 404);
    assert.equal(
      (await t.api.get('/api/v1/me', { token: b.token })).status,
      200,
      'nothing changed',
    );
    const forbidden = await t.api.get(`/api/v1/admin/users/${b.id}/sessions`, { token: a.token });
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.error.code, 'auth.forbidden');
    assert.equal(
      (await t.api.delete(`/api/v1/admin/sessions/${sid}`, { token: t.admin.token })).status,
      204,
    );
    assert.equal((await t.api.get('/api/v1/me', { token: b.token })).status, 401);
    const aSecond = await t.login(a.login);
    const all = await t.api.post(`/api/v1/admin/users/${a.id}/sessions/revoke-all`, undefined, {
      token: t.admin.token,
    });
    assert.equal(all.body.revokedSessions, 2);
    assert.equal((await t.api.get('/api/v1/me', { token: aSecond })).status, 401);
  });

  it('changing the password revokes the other sessions but keeps the current one', async () => {
    const u = await t.makeUser();
    const other = await t.login(u.login);
    const bad = await t.api.post(
      '/api/v1/auth/password',
      { currentPassword: 'wrong-one', newPassword: 'new-password-123' },
      { token: u.token },
    );
    assert.equal(bad.status, 403);
    assert.equal(bad.body.error.code, 'auth.wrong_password');
    const weak = await t.api.post(
      '/api/v1/auth/password',
      { currentPassword: TEST_PASSWORD, newPassword: 'short' },
      { token: u.token },
    );
    assert.equal(weak.status, 400);
    assert.equal(weak.body.error.field, 'newPassword');
    assert.equal(
      (await t.api.get('/api/v1/me', { token: other })).status,
      200,
      'failed changes changed nothing',
    );
    const ok = await t.api.post(
      '/api/v1/auth/password',
      { currentPassword: TEST_PASSWORD, newPassword: 'new-password-123' },
      { token: u.token },
    );
    assert.equal(ok.status, 200);
    assert.equal(ok.body.revokedSessions, 1);
    assert.equal((await t.api.get('/api/v1/me', { token: u.token })).status, 200);
    assert.equal((await t.api.get('/api/v1/me', { token: other })).status, 401);
    assert.equal(
      (await t.api.post('/api/v1/auth/login', { login: u.login, password: TEST_PASSWORD })).status,
      401,
    );
    assert.equal(
      (await t.api.post('/api/v1/auth/login', { login: u.login, password: 'new-password-123' }))
        .status,
      200,
    );
  });

  it('roles set by an admin change permissions at once; the last admin cannot drop the admin role', async () => {
    const u = await t.makeUser();
    assert.equal((await t.api.get('/api/v1/audit', { token: u.token })).status, 403);
    const set = await t.api.put(
      `/api/v1/directory/users/${u.id}/roles`,
      { roles: ['clinician', 'auditor'] },
      { token: t.admin.token },
    );
    assert.equal(set.status, 200);
    assert.deepEqual(set.body.roles, ['clinician', 'auditor']);
    assert.equal((await t.api.get('/api/v1/audit', { token: u.token })).status, 200);
    const badRole = await t.api.put(
      `/api/v1/directory/users/${u.id}/roles`,
      { roles: ['superuser'] },
      { token: t.admin.token },
    );
    assert.equal(badRole.status, 400);
    assert.equal(badRole.body.error.field, 'roles.0');
    const selfDemote = await t.api.put(
      `/api/v1/directory/users/${t.admin.id}/roles`,
      { roles: ['clinician'] },
      { token: t.admin.token },
    );
    assert.equal(selfDemote.status, 409);
    assert.equal(selfDemote.body.error.code, 'auth.last_admin');
    const me = await t.api.get('/api/v1/me', { token: t.admin.token });
    assert.ok(me.body.roles.includes('admin'), 'nothing changed');
    assert.ok((await audit('auth.roles.set')).length === 1);
  });

  it('the last active administrator can be neither demoted through the profile nor deactivated', async () => {
    const patch = await t.api.patch(
      `/api/v1/directory/users/${t.admin.id}`,
      { roles: ['clinician'] },
      { token: t.admin.token },
    );
    assert.equal(patch.status, 409);
    assert.equal(patch.body.error.code, 'auth.last_admin');
    const deactivate = await t.api.post(
      `/api/v1/directory/users/${t.admin.id}/deactivate`,
      undefined,
      {
        token: t.admin.token,
      },
    );
    assert.equal(deactivate.status, 409);
    assert.equal(deactivate.body.error.code, 'auth.last_admin');
    const me = await t.api.get('/api/v1/me', { token: t.admin.token });
    assert.equal(me.status, 200, 'still signed in and active');
    assert.ok(me.body.roles.includes('admin'));
    const second = await t.makeUser({ roles: ['admin'] });
    const now = await t.api.post(`/api/v1/directory/users/${t.admin.id}/deactivate`, undefined, {
      token: second.token,
    });
    assert.equal(now.status, 200, 'with another active admin it is allowed');
  });

  it('listing the sessions of an unknown user answers 404', async () => {
    const res = await t.api.get(
      '/api/v1/admin/users/00000000-0000-4000-8000-000000000000/sessions',
      {
        token: t.admin.token,
      },
    );
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'directory.user_not_found');
  });

  it('calls without a token, with a malformed or unknown token get 401; tokens in the URL are ignored', async () => {
    const none = await t.api.get('/api/v1/me');
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'auth.unauthenticated');
    const malformed = await t.api.get('/api/v1/me', { headers: { authorization: 'Bearer !!' } });
    assert.equal(malformed.status, 401);
    const unknown = await t.api.get('/api/v1/me', { token: 'A'.repeat(43) });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.error.code, 'auth.session_expired');
    const inUrl = await t.api.get(`/api/v1/me?access_token=${t.admin.token}`);
    assert.equal(inUrl.status, 401);
  });

  it('an admin password reset closes all sessions of that user', async () => {
    const u = await t.makeUser();
    const res = await t.api.put(
      `/api/v1/directory/users/${u.id}/password`,
      { password: 'reset-password-1' },
      { token: t.admin.token },
    );
    assert.equal(res.status, 204);
    assert.equal((await t.api.get('/api/v1/me', { token: u.token })).status, 401);
    assert.equal(
      (await t.api.post('/api/v1/auth/login', { login: u.login, password: 'reset-password-1' }))
        .status,
      200,
    );
    const missing = await t.api.put(
      `/api/v1/directory/users/00000000-0000-4000-8000-000000000000/password`,
      { password: 'reset-password-1' },
      { token: t.admin.token },
    );
    assert.equal(missing.status, 404);
  });

  it('neither passwords nor tokens reach the log', async () => {
    const u = await t.makeUser();
    await t.api.post('/api/v1/auth/login', { login: u.login, password: 'wrong-secret-pw' });
    const all = t.logs.join('\n');
    assert.ok(!all.includes(TEST_PASSWORD));
    assert.ok(!all.includes('wrong-secret-pw'));
    assert.ok(!all.includes(u.token));
  });
});
