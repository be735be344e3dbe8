import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SYSTEM } from '../src/platform/http/actor.js';
import { eachDatabase } from './support/databases.js';
import { makeOrgAndSite } from './support/factories.js';
import { startTestHub, type TestHub } from './support/hub.js';

eachDatabase('metrics (ADM-1)', (kind) => {
  let t: TestHub;
  beforeEach(async () => (t = await startTestHub(kind)));
  afterEach(async () => t.close());

  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      await t.hub.internals.notifications.delivery.settled();
      await t.hub.internals.messaging.roleEvents.settled();
    }
  };
  const metrics = (q: string, token = t.admin.token) =>
    t.api.get(`/api/v1/admin/metrics?${q}`, { token });
  const DAY = 'from=2026-11-27T00:00:00Z&to=2026-11-28T00:00:00Z';

  /** Two messages with known delivery, read and acknowledgement times (the clock starts at 09:00Z). */
  async function knownData() {
    const { org, site } = await makeOrgAndSite(t);
    const dept = await t.hub.internals.directory.createUnit(SYSTEM, {
      kind: 'department',
      name: 'Реанимация',
      parentId: site.id,
    });
    const s = await t.makeUser({ lastName: 'Отправитель', unitIds: [dept.id] });
    const b = await t.makeUser({ lastName: 'Белова', unitIds: [dept.id] });
    const c = await t.makeUser({ lastName: 'Царёв', unitIds: [dept.id] });
    const direct = (
      await t.api.post(
        '/api/v1/conversations',
        { kind: 'direct', memberIds: [b.id] },
        { token: s.token },
      )
    ).body.id as string;
    const group = (
      await t.api.post(
        '/api/v1/conversations',
        { kind: 'group', title: 'Смена', memberIds: [b.id, c.id], unitId: dept.id },
        { token: s.token },
      )
    ).body.id as string;
    const send = async (conv: string, priority: string) => {
      const r = await t.api.post(
        `/api/v1/conversations/${conv}/messages`,
        { id: randomUUID(), text: 'Проверка', priority },
        { token: s.token },
      );
      assert.equal(r.status, 201, JSON.stringify(r.body));
      await settle();
      return r.body.id as string;
    };
    const at = async (seconds: number, call: () => Promise<{ status: number }>) => {
      t.clock.advanceSeconds(seconds);
      assert.equal((await call()).status, 200);
    };
    const post =
      (token: string, path: string, body: unknown = {}) =>
      () =>
        t.api.post(path, body, { token });
    const m1 = await send(direct, 'normal'); // 09:00:00
    await at(10, post(b.token, `/api/v1/messages/${m1}/delivered`)); // +10 s
    await at(20, post(b.token, `/api/v1/messages/${m1}/read`)); // +30 s
    await at(30, post(b.token, `/api/v1/messages/${m1}/ack`, { response: 'accepted' })); // +60 s
    t.clock.advanceSeconds(40);
    const m2 = await send(group, 'urgent'); // 09:01:40
    await at(20, post(b.token, `/api/v1/messages/${m2}/delivered`)); // +20 s
    await at(20, post(c.token, `/api/v1/messages/${m2}/delivered`)); // +40 s
    await at(10, post(b.token, `/api/v1/messages/${m2}/read`)); // +50 s
    // A decline is not an acknowledgement that counts.
    await at(5, post(c.token, `/api/v1/messages/${m2}/ack`, { response: 'decline' }));
    return { org, site, dept, s, b, c };
  }

  const stats = (count: number, medianSeconds: number | null, p90Seconds: number | null) => ({
    count,
    medianSeconds,
    p90Seconds,
  });

  it('computes times to deliver, read and acknowledge, volumes and interruptions on a known data set', async () => {
    const w = await knownData();
    const r = await metrics(DAY);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const m = r.body;
    assert.equal(m.from, '2026-11-27T00:00:00.000Z');
    assert.equal(m.unitId, null);
    assert.deepEqual(m.volumes, {
      total: 2,
      orders: 0,
      byPriority: { low: 0, normal: 1, urgent: 1, critical: 0 },
    });
    const p = Object.fromEntries((m.byPriority as any[]).map((g) => [g.key, g]));
    assert.deepEqual(p.normal, {
      key: 'normal',
      label: 'normal',
      messages: 1,
      recipients: 1,
      deliver: stats(1, 10, 10),
      read: stats(1, 30, 30),
      ack: stats(1, 60, 60),
    });
    assert.deepEqual(p.urgent, {
      key: 'urgent',
      label: 'urgent',
      messages: 1,
      recipients: 2,
      deliver: stats(2, 30, 40),
      read: stats(1, 50, 50),
      ack: stats(0, null, null),
    });
    assert.deepEqual(p.critical.deliver, stats(0, null, null));
    assert.equal(m.byUnit.length, 1);
    assert.deepEqual(m.byUnit[0], {
      key: w.dept.id,
      label: 'Реанимация',
      messages: 2,
      recipients: 3,
      deliver: stats(3, 20, 40),
      read: stats(2, 40, 50),
      ack: stats(1, 60, 60),
    });
    assert.equal(m.byRole.length, 1);
    assert.equal(m.byRole[0].key, null);
    assert.deepEqual(m.byRole[0].deliver, stats(3, 20, 40));
    // The default policy pushes urgent (normal stays in the feed): one each.
    assert.deepEqual(
      (m.interruptions as any[]).map((i) => [i.userId, i.shiftKey, i.count, i.breakThroughs]),
      [
        [w.b.id, 'day:2026-11-27', 1, 0],
        [w.c.id, 'day:2026-11-27', 1, 0],
      ],
    );
    assert.deepEqual(m.escalations, {
      available: true,
      started: 0,
      acknowledged: 0,
      open: 0,
      cancelled: 0,
      acknowledgedAtStep: [],
    });
    // A unit filter takes the sub-units; another organisation has nothing.
    const site = await metrics(`${DAY}&unitId=${w.site.id}`);
    assert.equal(site.body.volumes.total, 2);
    assert.equal(site.body.interruptions.length, 2);
    const other = await t.hub.internals.directory.createUnit(SYSTEM, {
      kind: 'organization',
      name: 'Другая клиника',
      timeZone: 'Europe/Moscow',
    });
    const none = await metrics(`${DAY}&unitId=${other.id}`);
    assert.equal(none.body.volumes.total, 0);
    assert.deepEqual(none.body.byUnit, []);
    assert.deepEqual(none.body.interruptions, []);
    // A window that ends before the first message sees none of them.
    const before = await metrics('from=2026-11-27T00:00:00Z&to=2026-11-27T09:00:00Z');
    assert.equal(before.body.volumes.total, 0);
  });

  it('counts escalations and the step at which they were acknowledged', async () => {
    const w = await knownData();
    const direct = (
      await t.api.post(
        '/api/v1/conversations',
        { kind: 'direct', memberIds: [w.c.id] },
        { token: w.s.token },
      )
    ).body.id as string;
    const critical = async () => {
      const r = await t.api.post(
        `/api/v1/conversations/${direct}/messages`,
        { id: randomUUID(), text: 'Срочно', priority: 'critical' },
        { token: w.s.token },
      );
      assert.equal(r.status, 201, JSON.stringify(r.body));
      await settle();
      await t.hub.internals.escalation.settled();
      return r.body.id as string;
    };
    const first = await critical();
    await critical();
    t.clock.advanceSeconds(5);
    const ack = await t.api.post(
      `/api/v1/messages/${first}/ack`,
      { response: 'accepted' },
      { token: w.c.token },
    );
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    await t.hub.internals.escalation.settled();
    const m = (await metrics(DAY)).body;
    assert.deepEqual(m.escalations, {
      available: true,
      started: 2,
      acknowledged: 1,
      open: 1,
      cancelled: 0,
      // The built-in critical plan notifies (step 0), then waits (step 1): acknowledged while waiting.
      acknowledgedAtStep: [{ step: 1, count: 1 }],
    });
    assert.equal(m.volumes.byPriority.critical, 2);
    const critBy = (m.byPriority as any[]).find((g) => g.key === 'critical');
    assert.deepEqual(critBy.ack, stats(1, 5, 5));
  });

  it('validates every query parameter', async () => {
    const bad: [string, number, string, string][] = [
      ['to=2026-11-28T00:00:00Z', 400, 'validation.invalid', 'from'],
      ['from=2026-11-27T00:00:00Z', 400, 'validation.invalid', 'to'],
      ['from=yesterday&to=2026-11-28T00:00:00Z', 400, 'validation.invalid', 'from'],
      ['from=2026-11-27T00:00:00Z&to=2026-13-01', 400, 'validation.invalid', 'to'],
      ['from=2026-11-28T00:00:00Z&to=2026-11-27T00:00:00Z', 400, 'metrics.invalid_range', 'to'],
      ['from=2026-11-27T00:00:00Z&to=2026-11-27T00:00:00Z', 400, 'metrics.invalid_range', 'to'],
      ['from=2026-01-01T00:00:00Z&to=2026-11-27T00:00:00Z', 400, 'metrics.invalid_range', 'to'],
      [`${DAY}&unitId=unit-1`, 400, 'validation.invalid', 'unitId'],
      [`${DAY}&unitId=${randomUUID()}`, 404, 'directory.unit_not_found', 'unitId'],
      [`${DAY}&group=role`, 400, 'validation.invalid', 'group'],
    ];
    for (const [q, status, code, field] of bad) {
      const r = await metrics(q);
      assert.equal(r.status, status, `${q} → ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, code, q);
      assert.equal(r.body.error.field, field, `${q} → ${JSON.stringify(r.body)}`);
    }
  });

  it('needs metrics.view: staff and coordinators are refused, without a session 401', async () => {
    const nurse = await t.makeUser({ roles: ['nurse'] });
    const coordinator = await t.makeUser({ roles: ['coordinator'] });
    for (const token of [nurse.token, coordinator.token]) {
      const r = await metrics(DAY, token);
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, 'auth.forbidden');
    }
    assert.equal((await t.api.get(`/api/v1/admin/metrics?${DAY}`)).status, 401);
    assert.equal((await metrics(DAY)).status, 200);
  });
});
