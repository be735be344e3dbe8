import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SYSTEM } from '../src/platform/http/actor.js';
import {
  NotifyInterruptionEntity,
  NotifyPendingEntity,
} from '../src/modules/notifications/notifications.entity.js';
import { eachDatabase } from './support/databases.js';
import { makeOrgAndSite } from './support/factories.js';
import { startTestHub, type TestHub } from './support/hub.js';
import { TestSocket } from './support/ws.js';
import { auditActions, makeRole, makeShift } from './rosters/setup.js';

type Rule = {
  mode: 'push' | 'digest' | 'feed';
  sound?: boolean;
  repeatUntilAck?: boolean;
  offDuty?: boolean;
  userMayQuiet?: boolean;
};

/** A complete policy body; `over` replaces single rules or settings. */
function policy(over: Record<string, unknown> = {}, rules: Record<string, Rule> = {}) {
  return {
    rules: {
      low: { mode: 'feed', userMayQuiet: true },
      normal: { mode: 'push', userMayQuiet: true },
      urgent: { mode: 'push', sound: true },
      critical: { mode: 'push', sound: true, repeatUntilAck: true, offDuty: true },
      ...rules,
    },
    dndMaxHoldSeconds: 600,
    digestIntervalSeconds: 300,
    ...over,
  };
}

eachDatabase('notification policy and delivery', (kind) => {
  let t: TestHub;
  const sockets: TestSocket[] = [];
  beforeEach(async () => (t = await startTestHub(kind, { wsHeartbeatSeconds: 60 })));
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await t.close();
  });

  /** Organisation → site → department; a sender and two staff in the department, one on the site. */
  async function world() {
    const { org, site } = await makeOrgAndSite(t);
    const dept = await t.hub.internals.directory.createUnit(SYSTEM, {
      kind: 'department',
      name: 'Хирургия',
      parentId: site.id,
    });
    const sender = await t.makeUser({ lastName: 'Отправитель', unitIds: [dept.id] });
    const nurse = await t.makeUser({ lastName: 'Сестрова', unitIds: [dept.id] });
    const doctor = await t.makeUser({ lastName: 'Врачев', unitIds: [dept.id] });
    const siteStaff = await t.makeUser({ lastName: 'Корпусов', unitIds: [site.id] });
    return { org, site, dept, sender, nurse, doctor, siteStaff };
  }

  const putPolicy = (unitId: string, body: unknown, token = t.admin.token) =>
    t.api.put(`/api/v1/notifications/policies/${unitId}`, body, { token });

  async function conversation(token: string, memberIds: string[]): Promise<string> {
    const r = await t.api.post(
      '/api/v1/conversations',
      memberIds.length === 1
        ? { kind: 'direct', memberIds }
        : { kind: 'group', title: 'Смена', memberIds },
      { token },
    );
    assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.body));
    return r.body.id as string;
  }

  async function send(token: string, conv: string, priority: string): Promise<string> {
    const r = await t.api.post(
      `/api/v1/conversations/${conv}/messages`,
      { id: randomUUID(), text: `Сообщение ${priority}`, priority },
      { token },
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await settle();
    return r.body.id as string;
  }

  /** Waits until policy decisions and the stream writes they asked for are done. */
  async function settle(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await t.hub.internals.notifications.delivery.settled();
      await t.hub.internals.messaging.roleEvents.settled();
    }
  }

  async function socketOf(token: string): Promise<TestSocket> {
    const s = (await TestSocket.authed(t.hub.url(), token)).socket;
    sockets.push(s);
    return s;
  }

  /** The `notify.*` events a socket has received, after letting the stream deliver them. */
  async function notices(s: TestSocket, event = 'notify.push'): Promise<any[]> {
    await settle();
    await new Promise((r) => setTimeout(r, 50));
    return s.events().filter((f) => f.event === event);
  }

  async function fire(seconds: number): Promise<void> {
    t.clock.advanceSeconds(seconds);
    await t.hub.internals.timers.runDue();
    await settle();
  }

  const interruptions = (userId: string) =>
    t.hub.internals.db.manager.findBy(NotifyInterruptionEntity, { userId });

  it('pushes per priority as the policy says: feed only, push, sound, repeat until acknowledged', async () => {
    const w = await world();
    assert.equal((await putPolicy(w.org.id, policy())).status, 200);
    const conv = await conversation(w.sender.token, [w.nurse.id]);
    const s = await socketOf(w.nurse.token);
    const ids: Record<string, string> = {};
    for (const p of ['low', 'normal', 'urgent', 'critical'])
      ids[p] = await send(w.sender.token, conv, p);
    const pushes = await notices(s);
    assert.deepEqual(
      pushes.map((f) => f.data),
      [
        {
          messageId: ids.normal,
          conversationId: conv,
          priority: 'normal',
          sound: false,
          repeatUntilAck: false,
          reason: 'policy',
        },
        {
          messageId: ids.urgent,
          conversationId: conv,
          priority: 'urgent',
          sound: true,
          repeatUntilAck: false,
          reason: 'policy',
        },
        {
          messageId: ids.critical,
          conversationId: conv,
          priority: 'critical',
          sound: true,
          repeatUntilAck: true,
          reason: 'policy',
        },
      ],
    );
    for (const f of pushes) assert.equal(typeof f.seq, 'number');
    // The low message is in the feed all the same.
    assert.ok(s.events().some((f) => f.event === 'message.created' && f.data.id === ids.low));
    // The author is never pushed their own message.
    const own = await socketOf(w.sender.token);
    assert.equal((await notices(own)).length, 0);
    const counted = await interruptions(w.nurse.id);
    assert.equal(counted.length, 3);
    assert.ok(counted.every((c) => c.shiftKey === 'day:2026-11-27' && !c.breakThrough));
    // The push survives a reconnect: it is a stream event and resumes.
    const again = (await TestSocket.authed(t.hub.url(), w.nurse.token, 0)).socket;
    sockets.push(again);
    await again.next((f) => f.event === 'notify.push' && f.data.messageId === ids.critical);
  });

  it('a unit policy overrides the organisation’s; the nearest one up the tree wins', async () => {
    const w = await world();
    await putPolicy(w.org.id, policy());
    const quiet = await putPolicy(
      w.dept.id,
      policy({ dndMaxHoldSeconds: 900 }, { normal: { mode: 'feed' } }),
    );
    assert.equal(quiet.status, 200, JSON.stringify(quiet.body));
    assert.equal(quiet.body.unitName, 'Хирургия');
    const conv = await conversation(w.sender.token, [w.nurse.id, w.siteStaff.id]);
    const sn = await socketOf(w.nurse.token);
    const ss = await socketOf(w.siteStaff.token);
    const id = await send(w.sender.token, conv, 'normal');
    assert.equal((await notices(sn)).length, 0, 'the department says feed only');
    assert.deepEqual(
      (await notices(ss)).map((f) => f.data.messageId),
      [id],
      'the site follows the organisation',
    );
    const mine = await t.api.get('/api/v1/me/notifications', { token: w.nurse.token });
    assert.equal(mine.status, 200);
    assert.equal(mine.body.policyUnitId, w.dept.id);
    assert.equal(mine.body.dndMaxHoldSeconds, 900);
    assert.equal(mine.body.effective.normal.mode, 'feed');
    const other = await t.api.get('/api/v1/me/notifications', { token: w.siteStaff.token });
    assert.equal(other.body.policyUnitId, w.org.id);
    // Without any policy the built-in default applies.
    assert.equal(
      (await t.api.delete(`/api/v1/notifications/policies/${w.org.id}`, { token: t.admin.token }))
        .status,
      204,
    );
    const fallback = await t.api.get('/api/v1/me/notifications', { token: w.siteStaff.token });
    assert.equal(fallback.body.policyUnitId, null);
    assert.equal(fallback.body.effective.critical.mode, 'push');
  });

  it('do-not-disturb holds below critical until the person is available; critical breaks through', async () => {
    const w = await world();
    await putPolicy(w.org.id, policy());
    const conv = await conversation(w.sender.token, [w.nurse.id]);
    const s = await socketOf(w.nurse.token);
    const dnd = await t.api.put(
      '/api/v1/presence/me',
      { status: 'dnd', until: '2026-11-27T11:00:00.000Z', note: 'В операционной' },
      { token: w.nurse.token },
    );
    assert.equal(dnd.status, 200, JSON.stringify(dnd.body));
    const urgent = await send(w.sender.token, conv, 'urgent');
    t.clock.advanceSeconds(1);
    const normal = await send(w.sender.token, conv, 'normal');
    const critical = await send(w.sender.token, conv, 'critical');
    let pushes = await notices(s);
    assert.deepEqual(
      pushes.map((f) => [f.data.messageId, f.data.reason]),
      [[critical, 'break_through']],
    );
    const bt = await interruptions(w.nurse.id);
    assert.equal(bt.length, 1);
    assert.equal(bt[0]!.breakThrough, true);
    // Out of the operating room: the held ones go out now, oldest first.
    t.clock.advanceSeconds(120);
    assert.equal((await t.api.delete('/api/v1/presence/me', { token: w.nurse.token })).status, 200);
    pushes = await notices(s);
    assert.deepEqual(
      pushes.slice(1).map((f) => [f.data.messageId, f.data.reason, f.data.sound]),
      [
        [urgent, 'dnd_ended', true],
        [normal, 'dnd_ended', false],
      ],
    );
    assert.equal((await interruptions(w.nurse.id)).length, 3);
    // Nothing is delivered twice when the hold timer would have fired.
    await fire(3600);
    assert.equal((await notices(s)).length, 3);
  });

  it('a held push is dropped when the person reads or acknowledges the message meanwhile', async () => {
    const w = await world();
    await putPolicy(w.org.id, policy());
    const direct = await conversation(w.sender.token, [w.nurse.id]);
    const group = await conversation(w.sender.token, [w.nurse.id, w.doctor.id]);
    const s = await socketOf(w.nurse.token);
    await t.api.put(
      '/api/v1/presence/me',
      { status: 'dnd', until: '2026-11-27T11:00:00.000Z' },
      { token: w.nurse.token },
    );
    const read = await send(w.sender.token, direct, 'normal');
    const acked = await send(w.sender.token, group, 'urgent');
    const post = (path: string, body: unknown = {}) =>
      t.api.post(path, body, { token: w.nurse.token });
    // Read on another device during the operation, and acknowledged from the feed.
    assert.equal((await post(`/api/v1/messages/${read}/read`)).status, 200);
    const ack = await post(`/api/v1/messages/${acked}/ack`, { response: 'accepted' });
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    t.clock.advanceSeconds(1);
    const unread = await send(w.sender.token, direct, 'urgent');
    assert.equal((await notices(s)).length, 0);
    t.clock.advanceSeconds(120);
    assert.equal((await t.api.delete('/api/v1/presence/me', { token: w.nurse.token })).status, 200);
    assert.deepEqual(
      (await notices(s)).map((f) => [f.data.messageId, f.data.reason]),
      [[unread, 'dnd_ended']],
    );
    // Only what went out is an interruption; nothing is left waiting.
    assert.deepEqual(
      (await interruptions(w.nurse.id)).map((r) => r.messageId),
      [unread],
    );
    await fire(3600);
    assert.equal((await notices(s)).length, 1);
    assert.equal(
      await t.hub.internals.db.manager.countBy(NotifyPendingEntity, { userId: w.nurse.id }),
      0,
    );
  });

  it('a push held to the maximum, or a digest item, is dropped once read; an empty digest is not sent', async () => {
    const w = await world();
    await putPolicy(
      w.org.id,
      policy({ dndMaxHoldSeconds: 600, digestIntervalSeconds: 300 }, { low: { mode: 'digest' } }),
    );
    const one = await conversation(w.sender.token, [w.nurse.id]);
    const two = await conversation(w.sender.token, [w.nurse.id, w.doctor.id]);
    const s = await socketOf(w.nurse.token);
    const read = (id: string) =>
      t.api.post(`/api/v1/messages/${id}/read`, {}, { token: w.nurse.token });
    await t.api.put(
      '/api/v1/presence/me',
      { status: 'dnd', until: '2026-11-27T11:00:00.000Z' },
      { token: w.nurse.token },
    );
    const seen = await send(w.sender.token, one, 'urgent');
    const waiting = await send(w.sender.token, two, 'normal');
    assert.equal((await read(seen)).status, 200);
    await fire(600); // 09:10: both reached the maximum hold; do-not-disturb lasts
    assert.deepEqual(
      (await notices(s)).map((f) => [f.data.messageId, f.data.reason]),
      [[waiting, 'max_hold']],
    );
    assert.equal((await t.api.delete('/api/v1/presence/me', { token: w.nurse.token })).status, 200);
    // Digest: the item read before it goes out is left out.
    const d1 = await send(w.sender.token, one, 'low');
    const d2 = await send(w.sender.token, two, 'low');
    assert.equal((await read(d1)).status, 200);
    await fire(300);
    const digests = await notices(s, 'notify.digest');
    assert.equal(digests.length, 1);
    assert.equal(digests[0].data.count, 1);
    assert.deepEqual(
      digests[0].data.items.map((i: any) => i.messageId),
      [d2],
    );
    // Everything read: no digest at all, and no interruption counted.
    const d3 = await send(w.sender.token, one, 'low');
    assert.equal((await read(d3)).status, 200);
    await fire(300);
    assert.equal((await notices(s, 'notify.digest')).length, 1);
    assert.deepEqual((await interruptions(w.nurse.id)).map((r) => [r.kind, r.messageId]).sort(), [
      ['digest', null],
      ['push', waiting],
    ]);
    assert.equal(
      await t.hub.internals.db.manager.countBy(NotifyPendingEntity, { userId: w.nurse.id }),
      0,
    );
  });

  it('a hold ends at the maximum even while do-not-disturb lasts, or when the status runs out', async () => {
    const w = await world();
    await putPolicy(w.org.id, policy({ dndMaxHoldSeconds: 600 }));
    const conv = await conversation(w.sender.token, [w.nurse.id, w.doctor.id]);
    const sn = await socketOf(w.nurse.token);
    const sd = await socketOf(w.doctor.token);
    // The nurse: DND for two hours; the doctor: DND for five minutes.
    await t.api.put(
      '/api/v1/presence/me',
      { status: 'dnd', until: '2026-11-27T11:00:00.000Z' },
      { token: w.nurse.token },
    );
    await t.api.put(
      '/api/v1/presence/me',
      { status: 'dnd', until: '2026-11-27T09:05:00.000Z' },
      { token: w.doctor.token },
    );
    const first = await send(w.sender.token, conv, 'urgent');
    await fire(60);
    const second = await send(w.sender.token, conv, 'normal');
    assert.equal((await notices(sn)).length, 0);
    assert.equal((await notices(sd)).length, 0);
    await fire(240); // 09:05: the doctor's status ran out
    assert.deepEqual(
      (await notices(sd)).map((f) => [f.data.messageId, f.data.reason]),
      [
        [first, 'dnd_ended'],
        [second, 'dnd_ended'],
      ],
    );
    assert.equal((await notices(sn)).length, 0, 'the nurse is still held');
    await fire(299); // 09:09:59: not yet ten minutes
    assert.equal((await notices(sn)).length, 0);
    await fire(1); // 09:10: the first reached the maximum hold
    assert.deepEqual(
      (await notices(sn)).map((f) => [f.data.messageId, f.data.reason]),
      [[first, 'max_hold']],
    );
    await fire(60); // 09:11: the second too
    assert.deepEqual(
      (await notices(sn)).map((f) => [f.data.messageId, f.data.reason]),
      [
        [first, 'max_hold'],
        [second, 'max_hold'],
      ],
    );
  });

  it('off duty (from the roster) gets only the pushes the policy allows; critical breaks through', async () => {
    const w = await world();
    await putPolicy(
      w.org.id,
      policy(
        {},
        { normal: { mode: 'push', offDuty: true }, urgent: { mode: 'push', sound: true } },
      ),
    );
    const coordinator = await t.makeUser({ lastName: 'Координаторова', roles: ['coordinator'] });
    const role = await makeRole(t, coordinator.token, {
      name: 'Дежурная сестра',
      unitId: w.dept.id,
    });
    // Rostered tomorrow, not now: off duty.
    await makeShift(t, coordinator.token, {
      roleId: role.id,
      userId: w.nurse.id,
      start: '2026-11-28T08:00:00+03:00',
      end: '2026-11-28T20:00:00+03:00',
    });
    const presence = await t.hub.internals.rosters.presenceOf([w.nurse.id]);
    assert.equal(presence[0]!.status, 'off_duty');
    const conv = await conversation(w.sender.token, [w.nurse.id]);
    const s = await socketOf(w.nurse.token);
    await send(w.sender.token, conv, 'urgent');
    const normal = await send(w.sender.token, conv, 'normal');
    const critical = await send(w.sender.token, conv, 'critical');
    assert.deepEqual(
      (await notices(s)).map((f) => [f.data.messageId, f.data.reason]),
      [
        [normal, 'off_duty_allowed'],
        [critical, 'break_through'],
      ],
    );
    // A policy that keeps critical from off-duty people too: feed only.
    await putPolicy(
      w.org.id,
      policy({}, { critical: { mode: 'push', sound: true, offDuty: false } }),
    );
    await send(w.sender.token, conv, 'critical');
    assert.equal((await notices(s)).length, 2);
  });

  it('low priority is batched into one digest per interval (held while do-not-disturb)', async () => {
    const w = await world();
    await putPolicy(w.org.id, policy({ digestIntervalSeconds: 300 }, { low: { mode: 'digest' } }));
    const conv = await conversation(w.sender.token, [w.nurse.id]);
    const s = await socketOf(w.nurse.token);
    const a = await send(w.sender.token, conv, 'low');
    await fire(100);
    const b = await send(w.sender.token, conv, 'low');
    t.clock.advanceSeconds(1);
    const c = await send(w.sender.token, conv, 'low');
    assert.equal((await notices(s, 'notify.digest')).length, 0);
    assert.equal((await notices(s)).length, 0);
    await fire(198); // 09:04:59
    assert.equal((await notices(s, 'notify.digest')).length, 0);
    await fire(1);
    const [digest, ...more] = await notices(s, 'notify.digest');
    assert.equal(more.length, 0);
    assert.equal(digest.data.count, 3);
    assert.deepEqual(
      digest.data.items.map((i: any) => i.messageId),
      [a, b, c],
    );
    assert.equal(digest.data.since, '2026-11-27T09:00:00.000Z');
    const counted = await interruptions(w.nurse.id);
    assert.deepEqual(
      counted.map((r) => [r.kind, r.priority]),
      [['digest', 'low']],
    );
    // The next interval starts with the next item; do-not-disturb postpones the digest.
    await t.api.put(
      '/api/v1/presence/me',
      { status: 'dnd', until: '2026-11-27T09:20:00.000Z' },
      { token: w.nurse.token },
    );
    const d = await send(w.sender.token, conv, 'low');
    await fire(300); // 09:10: due, but DND until 09:20
    assert.equal((await notices(s, 'notify.digest')).length, 1);
    await fire(600); // 09:20
    const digests = await notices(s, 'notify.digest');
    assert.equal(digests.length, 2);
    assert.deepEqual(
      digests[1].data.items.map((i: any) => i.messageId),
      [d],
    );
  });

  it('interruptions are counted per person and shift: pushes, digests and break-throughs', async () => {
    const w = await world();
    await putPolicy(w.org.id, policy());
    const coordinator = await t.makeUser({ lastName: 'Координаторова', roles: ['coordinator'] });
    const role = await makeRole(t, coordinator.token, {
      name: 'Дежурная сестра',
      unitId: w.dept.id,
    });
    const shift = await makeShift(t, coordinator.token, {
      roleId: role.id,
      userId: w.nurse.id,
      start: '2026-11-27T08:00:00+03:00',
      end: '2026-11-27T20:00:00+03:00',
    });
    const conv = await conversation(w.sender.token, [w.nurse.id]);
    await send(w.sender.token, conv, 'normal');
    await send(w.sender.token, conv, 'urgent');
    await t.api.put(
      '/api/v1/presence/me',
      { status: 'dnd', until: '2026-11-27T10:00:00.000Z', delegateId: w.doctor.id },
      { token: w.nurse.token },
    );
    await send(w.sender.token, conv, 'critical');
    await settle();
    const rows = await interruptions(w.nurse.id);
    assert.equal(rows.length, 3);
    assert.ok(rows.every((r) => r.shiftKey === shift.id));
    assert.equal(rows.filter((r) => r.breakThrough).length, 1);
    const m = await t.api.get(
      '/api/v1/admin/metrics?from=2026-11-27T00:00:00Z&to=2026-11-28T00:00:00Z',
      { token: t.admin.token },
    );
    assert.equal(m.status, 200, JSON.stringify(m.body));
    const mine = (m.body.interruptions as any[]).filter((r) => r.userId === w.nurse.id);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].shiftKey, shift.id);
    assert.equal(mine[0].count, 3);
    assert.equal(mine[0].breakThroughs, 1);
    assert.equal(mine[0].fullName.startsWith('Сестрова'), true);
  });

  it('people set preferences only within what the policy allows', async () => {
    const w = await world();
    await putPolicy(w.org.id, policy({}, { low: { mode: 'digest', userMayQuiet: true } }));
    const me = (body: unknown) =>
      t.api.put('/api/v1/me/notifications', body, { token: w.nurse.token });
    const refused: [unknown, string, string][] = [
      [
        { preferences: { urgent: { mode: 'feed' } } },
        'notifications.preference_not_allowed',
        'preferences.urgent.mode',
      ],
      [
        { preferences: { critical: { mode: 'feed' } } },
        'notifications.preference_not_allowed',
        'preferences.critical.mode',
      ],
      [
        { preferences: { critical: { sound: false } } },
        'notifications.preference_not_allowed',
        'preferences.critical.sound',
      ],
      [
        { preferences: { urgent: { sound: false } } },
        'notifications.preference_not_allowed',
        'preferences.urgent.sound',
      ],
      [
        { preferences: { normal: { mode: 'digest' } } },
        'notifications.preference_not_allowed',
        'preferences.normal.mode',
      ],
      [
        { preferences: { low: { mode: 'feed', sound: true } } },
        'notifications.preference_not_allowed',
        'preferences.low.sound',
      ],
      [
        { preferences: { normal: { mode: 'loud' } } },
        'validation.invalid',
        'preferences.normal.mode',
      ],
      [
        { preferences: { normal: { vibrate: true } } },
        'validation.invalid',
        'preferences.normal.vibrate',
      ],
      [{ preferences: { urgentest: {} } }, 'validation.invalid', 'preferences.urgentest'],
      [{}, 'validation.invalid', 'preferences'],
    ];
    for (const [body, code, field] of refused) {
      const r = await me(body);
      assert.equal(r.body.error?.code, code, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
      assert.equal(r.status, code === 'validation.invalid' ? 400 : 422);
      assert.equal(r.body.error.field, field, JSON.stringify(r.body));
    }
    assert.equal((await auditActions(t, 'notifications.preferences.set')).length, 0);
    const ok = await me({
      preferences: { normal: { mode: 'feed' }, low: { mode: 'push', sound: true } },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.effective.normal.mode, 'feed');
    assert.deepEqual(ok.body.effective.low, { ...ok.body.policy.low, mode: 'push', sound: true });
    assert.equal(ok.body.effective.urgent.mode, 'push');
    assert.equal((await auditActions(t, 'notifications.preferences.set')).length, 1);
    const conv = await conversation(w.sender.token, [w.nurse.id]);
    const s = await socketOf(w.nurse.token);
    await send(w.sender.token, conv, 'normal');
    const low = await send(w.sender.token, conv, 'low');
    assert.deepEqual(
      (await notices(s)).map((f) => [f.data.messageId, f.data.sound]),
      [[low, true]],
    );
    // A policy that no longer allows quieting overrides the stored preference.
    await putPolicy(w.org.id, policy({}, { normal: { mode: 'push' } }));
    const now = await t.api.get('/api/v1/me/notifications', { token: w.nurse.token });
    assert.equal(now.body.preferences.normal.mode, 'feed');
    assert.equal(now.body.effective.normal.mode, 'push');
  });

  it('rejects every bad policy with a clear error and changes nothing', async () => {
    const w = await world();
    const bad: [string, unknown, number, string, string][] = [
      [
        w.org.id,
        policy({}, { critical: { mode: 'feed' } }),
        422,
        'notifications.rule_invalid',
        'rules.critical.mode',
      ],
      [
        w.org.id,
        policy({}, { critical: { mode: 'push', userMayQuiet: true } }),
        422,
        'notifications.rule_invalid',
        'rules.critical.userMayQuiet',
      ],
      [
        w.org.id,
        policy({}, { normal: { mode: 'digest' } }),
        422,
        'notifications.rule_invalid',
        'rules.normal.mode',
      ],
      [
        w.org.id,
        policy({}, { low: { mode: 'feed', sound: true } }),
        422,
        'notifications.rule_invalid',
        'rules.low.sound',
      ],
      [
        w.org.id,
        policy({}, { low: { mode: 'digest', repeatUntilAck: true } }),
        422,
        'notifications.rule_invalid',
        'rules.low.repeatUntilAck',
      ],
      [
        w.org.id,
        policy({}, { urgent: { mode: 'shout' } as unknown as Rule }),
        400,
        'validation.invalid',
        'rules.urgent.mode',
      ],
      [
        w.org.id,
        policy({}, { urgent: { mode: 'push', flash: true } as unknown as Rule }),
        400,
        'validation.invalid',
        'rules.urgent.flash',
      ],
      [
        w.org.id,
        { ...policy(), rules: { low: { mode: 'feed' } } },
        400,
        'validation.invalid',
        'rules.normal',
      ],
      [w.org.id, policy({ dndMaxHoldSeconds: 5 }), 400, 'validation.invalid', 'dndMaxHoldSeconds'],
      [
        w.org.id,
        policy({ dndMaxHoldSeconds: 1.5 }),
        400,
        'validation.invalid',
        'dndMaxHoldSeconds',
      ],
      [
        w.org.id,
        policy({ digestIntervalSeconds: 90_000 }),
        400,
        'validation.invalid',
        'digestIntervalSeconds',
      ],
      [w.org.id, policy({ extra: 1 }), 400, 'validation.invalid', 'extra'],
      ['not-a-unit', policy(), 400, 'validation.invalid', 'unitId'],
      [randomUUID(), policy(), 404, 'directory.unit_not_found', 'unitId'],
    ];
    for (const [unit, body, status, code, field] of bad) {
      const r = await putPolicy(unit, body);
      assert.equal(r.status, status, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, code);
      if (field) assert.equal(r.body.error.field, field, JSON.stringify(r.body));
      assert.ok(r.body.error.message.length > 0);
    }
    const list = await t.api.get('/api/v1/notifications/policies', { token: t.admin.token });
    assert.deepEqual(list.body.items, []);
    assert.equal((await auditActions(t, 'notifications.policy.create')).length, 0);
    const missing = await t.api.get(`/api/v1/notifications/policies/${w.dept.id}`, {
      token: t.admin.token,
    });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'notifications.policy_not_found');
    const gone = await t.api.delete(`/api/v1/notifications/policies/${w.dept.id}`, {
      token: t.admin.token,
    });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'notifications.policy_not_found');
  });

  it('policies need notify.manage and every change is audited', async () => {
    const w = await world();
    const plain = w.nurse.token;
    const calls = [
      () => t.api.get('/api/v1/notifications/policies', { token: plain }),
      () => t.api.get(`/api/v1/notifications/policies/${w.org.id}`, { token: plain }),
      () => putPolicy(w.org.id, policy(), plain),
      () => t.api.delete(`/api/v1/notifications/policies/${w.org.id}`, { token: plain }),
    ];
    for (const call of calls) {
      const r = await call();
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'auth.forbidden');
    }
    assert.equal((await t.api.get('/api/v1/notifications/policies')).status, 401);
    assert.equal((await t.api.get('/api/v1/me/notifications')).status, 401);
    const created = await putPolicy(w.org.id, policy());
    assert.equal(created.status, 200);
    assert.equal(created.body.updatedBy, t.admin.id);
    assert.equal((await putPolicy(w.org.id, policy({ digestIntervalSeconds: 600 }))).status, 200);
    const got = await t.api.get(`/api/v1/notifications/policies/${w.org.id}`, {
      token: t.admin.token,
    });
    assert.equal(got.body.digestIntervalSeconds, 600);
    assert.equal(got.body.rules.critical.repeatUntilAck, true);
    assert.equal(
      (await t.api.delete(`/api/v1/notifications/policies/${w.org.id}`, { token: t.admin.token }))
        .status,
      204,
    );
    const c = await auditActions(t, 'notifications.policy.create');
    const u = await auditActions(t, 'notifications.policy.update');
    const d = await auditActions(t, 'notifications.policy.delete');
    assert.deepEqual([c.length, u.length, d.length], [1, 1, 1]);
    assert.equal(c[0]!.targetId, w.org.id);
    assert.equal(c[0]!.actorId, t.admin.id);
    assert.deepEqual(u[0]!.details.modes, {
      low: 'feed',
      normal: 'push',
      urgent: 'push',
      critical: 'push',
    });
  });
});
