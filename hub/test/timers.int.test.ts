import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { z } from 'zod';
import { createHub, type Hub } from '../src/hub.js';
import { DurableTimers, DurableTimerEntity } from '../src/platform/timers/index.js';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';

const Payload = z.object({ n: z.number().int() });

async function rows(hub: Hub, state: string): Promise<number> {
  return hub.internals.db.manager.countBy(DurableTimerEntity, { state: state as 'fired' });
}

async function until(check: () => boolean, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

eachDatabase('durable timers', (kind) => {
  let th: TestHub;
  let fired: number[];
  beforeEach(async () => {
    th = await startTestHub(kind);
    fired = [];
    th.hub.internals.timers.register('test.tick', Payload, (p) => {
      fired.push(p.n);
      return Promise.resolve();
    });
  });
  afterEach(async () => {
    await th.close();
  });

  const at = (ms: number) => new Date(th.clock.now().getTime() + ms);

  it('fires at its due time and not before', async () => {
    const timers = th.hub.internals.timers;
    await timers.schedule(undefined, {
      kind: 'test.tick',
      key: 'a',
      dueAt: at(10_000),
      payload: { n: 1 },
    });
    th.clock.advance(9_999);
    await timers.runDue();
    assert.deepEqual(fired, []);
    th.clock.advance(1);
    await timers.runDue();
    assert.deepEqual(fired, [1]);
    assert.equal(await rows(th.hub, 'fired'), 1);
    await timers.runDue();
    assert.deepEqual(fired, [1]);
  });

  it('a cancelled timer never fires, by id or by subject', async () => {
    const timers = th.hub.internals.timers;
    const id = await timers.schedule(undefined, {
      kind: 'test.tick',
      key: 'a',
      dueAt: at(1000),
      payload: { n: 1 },
    });
    await timers.schedule(undefined, {
      kind: 'test.tick',
      key: 'b',
      dueAt: at(1000),
      payload: { n: 2 },
    });
    await timers.schedule(undefined, {
      kind: 'test.tick',
      key: 'b',
      dueAt: at(2000),
      payload: { n: 3 },
    });
    await timers.schedule(undefined, {
      kind: 'test.tick',
      key: 'c',
      dueAt: at(2000),
      payload: { n: 4 },
    });
    assert.equal(await timers.cancel(undefined, id), 1);
    assert.equal(await timers.cancel(undefined, { kind: 'test.tick', key: 'b' }), 2);
    assert.equal(await timers.cancel(undefined, id), 0);
    th.clock.advance(5000);
    await timers.runDue();
    assert.deepEqual(fired, [4]);
    assert.equal(await rows(th.hub, 'cancelled'), 3);
  });

  it('fires many timers in due order', async () => {
    const timers = th.hub.internals.timers;
    const offsets = Array.from({ length: 60 }, (_, i) => ((i * 37) % 60) * 1000 + 1000);
    for (const [i, off] of offsets.entries())
      await timers.schedule(undefined, {
        kind: 'test.tick',
        key: `k${i}`,
        dueAt: at(off),
        payload: { n: off },
      });
    th.clock.advance(30_500);
    await timers.runDue();
    assert.equal(fired.length, 30);
    th.clock.advance(60_000);
    await timers.runDue();
    assert.deepEqual(
      fired,
      [...offsets].sort((a, b) => a - b),
    );
  });

  it('arms a far-future timer without a Node timer beyond the cap', async () => {
    const timers = th.hub.internals.timers;
    const day = 24 * 3600 * 1000;
    await timers.schedule(undefined, {
      kind: 'test.tick',
      key: 'far',
      dueAt: at(40 * day),
      payload: { n: 40 },
    });
    const delay = timers.armedDelayMs();
    assert.ok(delay !== null && delay <= 3600_000, `armed ${delay} ms`);
    th.clock.advance(40 * day - 60_000);
    await timers.runDue();
    assert.deepEqual(fired, []);
    assert.ok((timers.armedDelayMs() ?? Infinity) <= 60_000);
    th.clock.advance(60_000);
    await timers.runDue();
    assert.deepEqual(fired, [40]);
  });

  it('a failing handler rolls back, is retried with backoff and fires once', async () => {
    const timers = th.hub.internals.timers;
    let calls = 0;
    timers.register('test.flaky', Payload, async (p, tx) => {
      calls++;
      // A write of the handler: commits only with the successful run.
      await timers.schedule(tx, {
        kind: 'test.tick',
        key: `follow${calls}`,
        dueAt: at(3600_000),
        payload: { n: p.n },
      });
      if (calls < 3) throw new Error('downstream unavailable');
    });
    await timers.schedule(undefined, {
      kind: 'test.flaky',
      key: 'x',
      dueAt: at(1000),
      payload: { n: 7 },
    });
    th.clock.advance(1000);
    await timers.runDue();
    assert.equal(calls, 1);
    const row = await th.hub.internals.db.manager.findOneByOrFail(DurableTimerEntity, {
      kind: 'test.flaky',
    });
    assert.equal(row.state, 'scheduled');
    assert.equal(row.attempts, 1);
    assert.match(row.lastError ?? '', /downstream unavailable/);
    await timers.runDue();
    assert.equal(calls, 1, 'waits for the backoff');
    th.clock.advance(1000);
    await timers.runDue();
    assert.equal(calls, 2);
    th.clock.advance(1999);
    await timers.runDue();
    assert.equal(calls, 2, 'the backoff doubles');
    th.clock.advance(1);
    await timers.runDue();
    assert.equal(calls, 3);
    th.clock.advance(3600_000);
    await timers.runDue();
    assert.equal(calls, 3);
    const after = await th.hub.internals.db.manager.findOneByOrFail(DurableTimerEntity, {
      kind: 'test.flaky',
    });
    assert.equal(after.state, 'fired');
    // Only the follow-up written by the successful run exists.
    const follows = await th.hub.internals.db.manager.findBy(DurableTimerEntity, {
      kind: 'test.tick',
    });
    assert.deepEqual(
      follows.map((f) => f.key),
      ['follow3'],
    );
  });

  it('a row whose payload no longer fits is marked failed and reported, not fired', async () => {
    const timers = th.hub.internals.timers;
    const bad = await timers.schedule(undefined, {
      kind: 'test.tick',
      key: 'a',
      dueAt: at(1000),
      payload: { n: 1 },
    });
    const notJson = await timers.schedule(undefined, {
      kind: 'test.tick',
      key: 'b',
      dueAt: at(1000),
      payload: { n: 2 },
    });
    await timers.schedule(undefined, {
      kind: 'test.tick',
      key: 'c',
      dueAt: at(2000),
      payload: { n: 3 },
    });
    const m = th.hub.internals.db.manager;
    await m.update(DurableTimerEntity, { id: bad }, { payload: '{"n":"seven"}' });
    await m.update(DurableTimerEntity, { id: notJson }, { payload: '{not json' });
    th.clock.advance(5000);
    await timers.runDue();
    assert.deepEqual(fired, [3]);
    assert.equal((await m.findOneByOrFail(DurableTimerEntity, { id: bad })).state, 'failed');
    assert.equal((await m.findOneByOrFail(DurableTimerEntity, { id: notJson })).state, 'failed');
    assert.equal(th.logs.filter((l) => l.includes('timer payload rejected')).length, 2);
    await assert.rejects(
      timers.schedule(undefined, {
        kind: 'test.tick',
        key: 'd',
        dueAt: at(1),
        payload: { n: 'x' },
      }),
    );
    await assert.rejects(
      timers.schedule(undefined, { kind: 'test.unknown', key: 'd', dueAt: at(1), payload: {} }),
    );
  });

  it('two claimers over the same database fire each timer once', async () => {
    const a = th.hub.internals.timers;
    const b = new DurableTimers({ db: th.hub.internals.db, clock: th.clock, log: th.hub.log });
    const seen: number[] = [];
    b.register('test.tick', Payload, (p) => {
      seen.push(p.n);
      return Promise.resolve();
    });
    for (let i = 0; i < 50; i++)
      await a.schedule(undefined, {
        kind: 'test.tick',
        key: `k${i}`,
        dueAt: at(1000 + i),
        payload: { n: i },
      });
    await b.start();
    th.clock.advance(10_000);
    await Promise.all([a.runDue(), b.runDue()]);
    await b.stop();
    assert.equal(fired.length + seen.length, 50);
    assert.equal(new Set([...fired, ...seen]).size, 50);
    assert.equal(await rows(th.hub, 'fired'), 50);
  });

  it('after a restart every overdue timer fires exactly once, promptly', async function () {
    this.timeout(120_000);
    const timers = th.hub.internals.timers;
    for (let i = 0; i < 200; i++)
      await timers.schedule(undefined, {
        kind: 'test.tick',
        key: `k${i}`,
        dueAt: at(60_000 + i * 10),
        payload: { n: i },
      });
    await th.hub.stop();
    assert.deepEqual(fired, []);
    th.clock.advance(3600_000);
    const again = createHub(th.hub.config, {
      clock: th.clock,
      logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
    });
    const after: number[] = [];
    again.internals.timers.register('test.tick', Payload, (p) => {
      after.push(p.n);
      return Promise.resolve();
    });
    await again.start();
    try {
      // No runDue here: the hub's own Node timer fires the overdue rows.
      await until(() => after.length >= 200);
      await again.internals.timers.runDue();
      assert.equal(after.length, 200);
      assert.deepEqual(
        after,
        Array.from({ length: 200 }, (_, i) => i),
        'in due order',
      );
      assert.equal(await rows(again, 'fired'), 200);
      assert.equal(await rows(again, 'scheduled'), 0);
    } finally {
      await again.stop();
    }
  });

  it('timers collected for a transaction are written with it, or forgotten when it fails', async () => {
    const timers = th.hub.internals.timers;
    const db = th.hub.internals.db;
    const before = timers.pendingCount();
    // Collected, written and committed: they fire.
    const key = {};
    const { rows: collected } = await timers.collect(key, async () => {
      for (const n of [1, 2, 3])
        await timers.schedule(key as never, {
          kind: 'test.tick',
          key: `c${n}`,
          dueAt: at(1000),
          payload: { n },
        });
    });
    assert.equal(collected.length, 3);
    assert.equal(
      await th.hub.internals.db.manager.countBy(DurableTimerEntity, { kind: 'test.tick' }),
      0,
    );
    await db.transaction((tx) => timers.write(tx, collected));
    // Collected for a transaction that rolled back: discarded, nothing looks for their rows.
    const other = {};
    const lost = await timers.collect(other, async () => {
      await timers.schedule(other as never, {
        kind: 'test.tick',
        key: 'lost',
        dueAt: at(1000),
        payload: { n: 9 },
      });
    });
    assert.equal(timers.pendingCount(), before + 4);
    timers.discard(lost.rows);
    assert.equal(timers.pendingCount(), before + 3);
    await assert.rejects(timers.collect(key, () => timers.collect(key, () => Promise.resolve())));
    th.clock.advance(1000);
    await timers.runDue();
    assert.deepEqual([...fired].sort(), [1, 2, 3]);
    assert.equal(await rows(th.hub, 'fired'), 3);
  });
});
