import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { BusEvents } from '../src/platform/events.js';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';
import { makeRole, makeShift, rosterWorld } from './rosters/setup.js';

eachDatabase('messaging: bus events after commit', (kind) => {
  let t: TestHub;
  beforeEach(async () => (t = await startTestHub(kind)));
  afterEach(async () => t.close());

  it('announces stored sends and typed acknowledgements, once each', async () => {
    const w = await rosterWorld(t);
    const sent: BusEvents['messaging.sent'][] = [];
    const acked: BusEvents['messaging.acknowledged'][] = [];
    t.hub.internals.bus.on('messaging.sent', (e) => sent.push(e));
    t.hub.internals.bus.on('messaging.acknowledged', (e) => acked.push(e));
    const conv = await t.api.post(
      '/api/v1/conversations',
      { kind: 'group', title: 'Консилиум', memberIds: [w.ivanov.id, w.petrov.id] },
      { token: w.sidorov.token },
    );
    assert.equal(conv.status, 201, JSON.stringify(conv.body));
    const id = randomUUID();
    const body = { id, text: 'Срочно', priority: 'critical', kind: 'order' };
    const path = `/api/v1/conversations/${conv.body.id}/messages`;
    assert.equal((await t.api.post(path, body, { token: w.sidorov.token })).status, 201);
    // A resend stores nothing and announces nothing.
    assert.equal((await t.api.post(path, body, { token: w.sidorov.token })).status, 200);
    assert.equal(sent.length, 1);
    const e = sent[0]!;
    assert.equal(e.messageId, id);
    assert.equal(e.authorId, w.sidorov.id);
    assert.equal(e.priority, 'critical');
    assert.equal(e.kind, 'order');
    assert.deepEqual([...e.recipientIds].sort(), [w.ivanov.id, w.petrov.id].sort());
    assert.equal(e.roleId, undefined);

    const ack = await t.api.post(
      `/api/v1/messages/${id}/ack`,
      { response: 'call_back', minutes: 10 },
      { token: w.ivanov.token },
    );
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    assert.equal(acked.length, 1);
    assert.deepEqual(
      { ...acked[0]!, at: undefined },
      {
        messageId: id,
        conversationId: conv.body.id,
        userId: w.ivanov.id,
        response: 'call_back',
        minutes: 10,
        at: undefined,
      },
    );
    // A refused acknowledgement (the author) announces nothing.
    const own = await t.api.post(
      `/api/v1/messages/${id}/ack`,
      { response: 'accepted' },
      { token: w.sidorov.token },
    );
    assert.equal(own.status, 403);
    assert.equal(acked.length, 1);
  });

  it('a send to a duty role carries the role', async () => {
    const w = await rosterWorld(t);
    const role = await makeRole(t, w.coordinator.token, { name: 'Дежурный', unitId: w.unit.id });
    await makeShift(t, w.coordinator.token, {
      roleId: role.id,
      userId: w.ivanov.id,
      start: '2026-11-27T08:00:00+03:00',
      end: '2026-11-27T20:00:00+03:00',
    });
    const sent: BusEvents['messaging.sent'][] = [];
    t.hub.internals.bus.on('messaging.sent', (e) => sent.push(e));
    const conv = await t.api.post(
      '/api/v1/conversations',
      { kind: 'direct', roleId: role.id },
      { token: w.sidorov.token },
    );
    const r = await t.api.post(
      `/api/v1/conversations/${conv.body.id}/messages`,
      { id: randomUUID(), text: 'Вызов', priority: 'urgent' },
      { token: w.sidorov.token },
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.roleId, role.id);
    assert.deepEqual(sent[0]!.recipientIds, [w.ivanov.id]);
  });
});
