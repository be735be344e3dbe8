import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { SearchUsersQuery } from '@konsilium/shared';
import { SYSTEM } from '../src/platform/http/actor.js';
import { DATABASES } from './support/databases.js';
import { makeOrgAndSite } from './support/factories.js';
import type { Api } from './support/http.js';
import { TEST_PASSWORD, type TestHub } from './support/hub.js';
import {
  REDIS_URL,
  TestNodes,
  firstNode,
  eventually,
  redisProblem,
  streamChannel,
} from './support/nodes.js';
import { makeRole, makeShift, rosterWorld } from './rosters/setup.js';

type Reply = { status: number; body: any };

/** Ids of the people on call (`GET /api/v1/oncall`) or of a search page, in order. */
const ids = (r: Reply): string[] =>
  ((r.body?.people ?? r.body?.items ?? []) as { id: string }[]).map((p) => p.id);

/** JSON log lines of a node with this message. */
const logged = (logs: string[], msg: string) =>
  logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === msg);

/** Every cache invalidation on the channel, as a subscriber of the channel sees it. */
async function overhear(
  channel: string,
): Promise<{ heard: { scope: string; ids: string[] | null }[]; stop(): void }> {
  const sub = new Redis(REDIS_URL);
  const heard: { scope: string; ids: string[] | null }[] = [];
  sub.on('message', (_c: string, text: string) => {
    const m = JSON.parse(text) as { t: string; scope: string; ids: string[] | null };
    if (m.t === 'invalidate') heard.push({ scope: m.scope, ids: m.ids });
  });
  await sub.subscribe(channel);
  return { heard, stop: () => sub.disconnect() };
}

if (!redisProblem && DATABASES.includes('postgres')) {
  describe('several hub nodes: node-local caches follow the other nodes (ADR 0025)', function () {
    let a: TestHub;
    let nodes: TestNodes;
    let channel: string;

    beforeEach(async () => {
      ({ a, nodes, channel } = await firstNode());
    });
    afterEach(() => nodes.stopAll());

    const onCall = (api: Api, token: string, roleId: string): Promise<Reply> =>
      api.get(`/api/v1/oncall?roleId=${roleId}`, { token });
    const search = (api: Api, q: string, inactive = false): Promise<Reply> =>
      api.get(
        `/api/v1/directory/users?q=${encodeURIComponent(q)}${inactive ? '&includeInactive=true' : ''}`,
        { token: a.admin.token },
      );

    it('a role, a shift, a swap and a take-over made through one node are what the other answers and addresses next', async () => {
      const b = await nodes.start();
      const wire = await overhear(await streamChannel(a, channel));
      try {
        const w = await rosterWorld(a);
        const c = w.coordinator.token;
        const asker = w.sidorov.token;
        // B holds its role list (asked once), then a role is created through A.
        const unknown = await onCall(b.api, asker, randomUUID());
        assert.equal(unknown.status, 404);
        const role = await makeRole(a, c, { name: 'Дежурный терапевт', unitId: w.unit.id });
        const empty = await eventually(
          'B knows the role made on A',
          () => onCall(b.api, asker, role.id),
          (r) => r.status === 200,
        );
        assert.equal(empty.body.source, 'none');
        assert.equal(empty.body.reason, 'no-fallback');

        // B now holds the role's (empty) shifts; a shift is published through A.
        const shift = await makeShift(a, c, {
          roleId: role.id,
          userId: w.ivanov.id,
          start: '2026-11-27T08:00:00+03:00',
          end: '2026-11-27T20:00:00+03:00',
        });
        const onShift = await eventually(
          'B answers the shift published on A',
          () => onCall(b.api, asker, role.id),
          (r) => ids(r).join() === w.ivanov.id,
        );
        assert.equal(onShift.body.source, 'shift');
        assert.equal(onShift.body.people[0].fullName, 'Иванов Иван Сергеевич');
        // A message to the role sent through B goes to the person A put on call.
        const conv = await b.api.post(
          '/api/v1/conversations',
          { kind: 'direct', roleId: role.id },
          { token: asker },
        );
        assert.equal(conv.status, 201, JSON.stringify(conv.body));
        const toRole = (text: string) =>
          b.api.post(
            `/api/v1/conversations/${conv.body.id}/messages`,
            { id: randomUUID(), text },
            { token: asker },
          );
        const first = await toRole('Нужна консультация');
        assert.equal(first.status, 201, JSON.stringify(first.body));
        assert.deepEqual(
          first.body.resolvedTo.map((p: { id: string }) => p.id),
          [w.ivanov.id],
        );

        // The coordinator gives the shift to Петров through A (applied at once).
        const swap = await a.api.post(
          '/api/v1/rosters/swaps',
          { kind: 'giveaway', shiftId: shift.id, toUserId: w.petrov.id },
          { token: c },
        );
        assert.equal(swap.status, 201, JSON.stringify(swap.body));
        assert.equal(swap.body.state, 'applied');
        const swapped = await eventually(
          'B answers the swap applied on A',
          () => onCall(b.api, asker, role.id),
          (r) => ids(r).join() === w.petrov.id,
        );
        assert.equal(swapped.body.source, 'swap');

        // Сидоров takes over through A; B addresses the role to him.
        const over = await a.api.post(
          '/api/v1/rosters/takeovers',
          { roleId: role.id, userId: w.sidorov.id },
          { token: c },
        );
        assert.equal(over.status, 201, JSON.stringify(over.body));
        const taken = await eventually(
          'B answers the take-over made on A',
          () => onCall(b.api, asker, role.id),
          (r) => ids(r).join() === w.sidorov.id,
        );
        assert.equal(taken.body.source, 'takeover');
        const second = await toRole('Повторно');
        assert.equal(second.status, 201, JSON.stringify(second.body));
        assert.deepEqual(
          second.body.resolvedTo.map((p: { id: string }) => p.id),
          [w.sidorov.id],
        );

        // On the wire: one message per change (index and role list together), role ids only.
        const rosters = await eventually(
          'four roster invalidations on the channel',
          () => Promise.resolve(wire.heard.filter((m) => m.scope === 'rosters')),
          (l) => l.length >= 4,
        );
        assert.deepEqual(rosters, Array(4).fill({ scope: 'rosters', ids: [role.id] }));
      } finally {
        wire.stop();
      }
    });

    it('staff created, renamed, renamed with their unit and deactivated through one node are found, or not, on the other', async () => {
      const b = await nodes.start();
      const { site } = await makeOrgAndSite(a);
      const unit = await a.hub.internals.directory.createUnit(SYSTEM, {
        kind: 'department',
        name: 'Пульмонология',
        parentId: site.id,
      });
      // B's index was loaded when it started: the person comes from A.
      const made = await a.api.post(
        '/api/v1/directory/users',
        {
          login: 'zyablikova',
          password: TEST_PASSWORD,
          lastName: 'Зябликова',
          firstName: 'Ольга',
          unitIds: [unit.id],
        },
        { token: a.admin.token },
      );
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const id = made.body.id as string;
      await eventually(
        'B finds the person created on A',
        () => search(b.api, 'зябликова'),
        (r) => ids(r).join() === id,
      );

      const renamed = await a.api.patch(
        `/api/v1/directory/users/${id}`,
        { lastName: 'Синицына' },
        { token: a.admin.token },
      );
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      await eventually(
        'B finds the new name',
        () => search(b.api, 'синицына'),
        (r) => ids(r).join() === id,
      );
      assert.equal((await search(b.api, 'зябликова')).body.total, 0, 'the old name is gone');

      const unitRenamed = await a.api.patch(
        `/api/v1/directory/units/${unit.id}`,
        { name: 'Торакальное отделение' },
        { token: a.admin.token },
      );
      assert.equal(unitRenamed.status, 200, JSON.stringify(unitRenamed.body));
      await eventually(
        'B finds her by the unit’s new name',
        () => search(b.api, 'торакальное'),
        (r) => ids(r).join() === id,
      );
      assert.equal((await search(b.api, 'пульмонология')).body.total, 0);

      const off = await a.api.post(
        `/api/v1/directory/users/${id}/deactivate`,
        {},
        { token: a.admin.token },
      );
      assert.equal(off.status, 200, JSON.stringify(off.body));
      await eventually(
        'B no longer finds the deactivated person',
        () => search(b.api, 'синицына'),
        (r) => r.status === 200 && r.body.total === 0,
      );
      assert.deepEqual(ids(await search(b.api, 'синицына', true)), [id]);
      // The profile B serves from the same index says so too.
      const profile = await b.api.get(`/api/v1/directory/users/${id}`, { token: a.admin.token });
      assert.equal(profile.status, 200);
      assert.equal(profile.body.active, false);
      assert.deepEqual(
        profile.body.units.map((u: { name: string }) => u.name),
        ['Торакальное отделение'],
      );
      // It was B's in-process index that answered, not the SQL engine.
      const page = await b.hub.internals.directory.searchUsers(
        SearchUsersQuery.parse({ q: 'синицына', includeInactive: 'true' }),
        { engine: 'memory' },
      );
      assert.deepEqual(
        page.items.map((u) => [u.id, u.lastName, u.active]),
        [[id, 'Синицына', false]],
      );
    });

    it('a malformed invalidation is logged and ignored; the node goes on applying good ones', async () => {
      const b = await nodes.start();
      const w = await rosterWorld(a);
      const asker = w.sidorov.token;
      assert.equal((await onCall(b.api, asker, randomUUID())).status, 404); // B holds its role list
      const raw = new Redis(REDIS_URL);
      try {
        const stream = await streamChannel(a, channel);
        for (const bad of [
          { t: 'invalidate', node: 'x', scope: 'rosters', ids: [42] },
          { t: 'invalidate', node: 'x', scope: 'Rosters; DROP', ids: null },
          { t: 'invalidate', node: 'x', scope: 'directory.staff', ids: ['x'.repeat(129)] },
          { t: 'invalidate', node: 'x', scope: 'rosters' },
        ])
          await raw.publish(stream, JSON.stringify(bad));
        // Well formed, for a cache no module keeps: nothing happens.
        await raw.publish(
          stream,
          JSON.stringify({ t: 'invalidate', node: 'x', scope: 'nobody.here', ids: ['a'] }),
        );
      } finally {
        raw.disconnect();
      }
      // Published after those: once B applied it, it has read them all.
      const role = await makeRole(a, w.coordinator.token, {
        name: 'Дежурный хирург',
        unitId: w.unit.id,
      });
      await eventually(
        'B still applies a good invalidation',
        () => onCall(b.api, asker, role.id),
        (r) => r.status === 200,
      );
      for (const logs of [a.logs, b.logs]) {
        const warned = logged(logs, 'fanout: malformed message ignored');
        assert.equal(warned.length, 4, JSON.stringify(warned));
        for (const l of warned) assert.equal(l.level, 40);
      }
      assert.equal(logged(b.logs, 'realtime: cache invalidation failed').length, 0);
    });

    it('after Redis comes back a node drops its caches: changes it never heard of are seen', async () => {
      const b = await nodes.start();
      // C writes to the same database but publishes on another channel: A and B never hear of it.
      const c = await nodes.start(`${channel}-elsewhere`);
      const w = await rosterWorld(a);
      const asker = w.sidorov.token;
      const role = await makeRole(a, w.coordinator.token, {
        name: 'Дежурный невролог',
        unitId: w.unit.id,
      });
      const before = await eventually(
        'B knows the role',
        () => onCall(b.api, asker, role.id),
        (r) => r.status === 200,
      );
      assert.deepEqual(ids(before), []);
      const shift = await c.api.post(
        '/api/v1/rosters/shifts',
        {
          roleId: role.id,
          userId: w.ivanov.id,
          start: '2026-11-27T08:00:00+03:00',
          end: '2026-11-27T20:00:00+03:00',
        },
        { token: w.coordinator.token },
      );
      assert.equal(shift.status, 201, JSON.stringify(shift.body));
      const made = await c.api.post(
        '/api/v1/directory/users',
        { login: 'scheglova', password: TEST_PASSWORD, lastName: 'Щеглова', firstName: 'Анна' },
        { token: a.admin.token },
      );
      assert.equal(made.status, 201, JSON.stringify(made.body));
      // C answers from what it wrote; B, told nothing, still from its caches.
      assert.deepEqual(ids(await onCall(c.api, asker, role.id)), [w.ivanov.id]);
      assert.deepEqual(ids(await onCall(b.api, asker, role.id)), []);
      assert.equal((await search(b.api, 'щеглова')).body.total, 0);

      // The subscriptions of A and B (named after their channel) are cut; they come back.
      const raw = new Redis(REDIS_URL);
      try {
        const list = (await raw.client('LIST')) as string;
        const subs = list
          .split('\n')
          .filter((line) => line.includes(` name=${channel}:sub `))
          .map((line) => /^id=(\d+)/.exec(line)![1]!);
        assert.equal(subs.length, 2, list);
        for (const id of subs) await raw.client('KILL', 'ID', id);
      } finally {
        raw.disconnect();
      }
      await eventually(
        'B answers the shift after Redis came back',
        () => onCall(b.api, asker, role.id),
        (r) => ids(r).join() === w.ivanov.id,
        10_000,
      );
      await eventually(
        'B finds the person after Redis came back',
        () => search(b.api, 'щеглова'),
        (r) => ids(r).join() === made.body.id,
      );
      assert.ok(logged(b.logs, 'fanout: resubscribed after a lost connection').length >= 1);
    });
  });
}
