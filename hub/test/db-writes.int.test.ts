import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { insertMany } from '../src/platform/db/insert-many.js';
import { together } from '../src/platform/db/together.js';
import { DurableTimerEntity, type DurableTimerRow } from '../src/platform/timers/index.js';
import { verifyAuditChain } from '../src/modules/audit/index.js';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';

function timerRow(n: number, over: Partial<DurableTimerRow> = {}): DurableTimerRow {
  return {
    id: randomUUID(),
    kind: 'test.write',
    key: `k${n}`,
    dueAt: new Date(Date.UTC(2026, 10, 28, 10, 0, n % 60)).toISOString(),
    payload: JSON.stringify({ n, text: `строка ${n} с "кавычками" и \\ обратной чертой` }),
    state: 'scheduled',
    attempts: n % 3,
    lastError: n % 2 ? null : `ошибка ${n}`,
    createdAt: new Date(Date.UTC(2026, 10, 28)).toISOString(),
    firedAt: null,
    ...over,
  };
}

eachDatabase('database write helpers', (kind) => {
  let th: TestHub;
  beforeEach(async () => {
    th = await startTestHub(kind);
  });
  afterEach(async () => {
    await th.close();
  });

  it('insertMany stores rows as the ORM reads them back, over several statements', async () => {
    const db = th.hub.internals.db;
    // 10 columns a row: 1,000 rows need more than one statement's parameters.
    const rows = Array.from({ length: 1000 }, (_, n) => timerRow(n));
    await db.transaction((tx) => insertMany(tx, DurableTimerEntity, rows));
    const back = await db.manager.find(DurableTimerEntity, { where: { kind: 'test.write' } });
    assert.equal(back.length, rows.length);
    const byId = new Map(back.map((r) => [r.id, r]));
    for (const r of rows) assert.deepEqual({ ...byId.get(r.id)! }, { ...r });
  });

  it('insertMany gives an omitted column its declared default', async () => {
    const db = th.hub.internals.db;
    const row = timerRow(1) as Partial<DurableTimerRow>;
    delete row.attempts;
    await db.transaction((tx) => insertMany(tx, DurableTimerEntity, [row as DurableTimerRow]));
    const back = await db.manager.findOneByOrFail(DurableTimerEntity, { id: row.id! });
    assert.equal(back.attempts, 0);
  });

  it('statements sent together commit together, or none of them when one fails', async () => {
    const db = th.hub.internals.db;
    const a = timerRow(1);
    const b = timerRow(2);
    await db.transaction((tx) =>
      together(
        tx,
        () => insertMany(tx, DurableTimerEntity, [a]),
        () => insertMany(tx, DurableTimerEntity, [b]),
      ),
    );
    assert.equal(await db.manager.countBy(DurableTimerEntity, { kind: 'test.write' }), 2);
    const c = timerRow(3);
    const d = timerRow(4);
    await assert.rejects(
      db.transaction((tx) =>
        together(
          tx,
          () => insertMany(tx, DurableTimerEntity, [c]),
          // The same primary key again: this statement fails.
          () => insertMany(tx, DurableTimerEntity, [{ ...a }]),
          () => insertMany(tx, DurableTimerEntity, [d]),
        ),
      ),
    );
    assert.equal(await db.manager.countBy(DurableTimerEntity, { kind: 'test.write' }), 2);
    assert.equal(await db.manager.countBy(DurableTimerEntity, { id: c.id }), 0);
    assert.equal(await db.manager.countBy(DurableTimerEntity, { id: d.id }), 0);
  });

  it('audit rows appended by many concurrent transactions keep one verifiable chain', async () => {
    const { db, audit } = th.hub.internals;
    await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        db.transaction((tx) =>
          audit.appendMany(
            tx,
            Array.from({ length: 1 + (n % 4) }, (_, k) => ({
              action: 'test.write',
              targetType: 'test',
              targetId: `${n}-${k}`,
              details: { n, k, list: ['b', 'a'] },
            })),
          ),
        ),
      ),
    );
    const result = await verifyAuditChain(db.manager);
    assert.equal(result.ok, true, JSON.stringify(result));
  });

  if (kind === 'sqlite')
    it('a transaction asked `ahead` runs before the ones already waiting', async () => {
      const db = th.hub.internals.db;
      const order: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const first = db.transaction(async () => {
        order.push('first');
        await held;
      });
      const normal = db.transaction(async () => {
        order.push('normal');
        return Promise.resolve();
      });
      const ahead = db.transaction(
        async () => {
          order.push('ahead');
          return Promise.resolve();
        },
        { ahead: true },
      );
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(order, ['first'], 'one write transaction at a time');
      release();
      await Promise.all([first, normal, ahead]);
      assert.deepEqual(order, ['first', 'ahead', 'normal']);
    });
});
