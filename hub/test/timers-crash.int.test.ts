import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DurableTimerEntity } from '../src/platform/timers/index.js';
import { FakeClock } from './support/clock.js';
import { afterCrash } from './support/crash.js';
import { eachDatabase } from './support/databases.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'timers-crash-child.js');

eachDatabase('durable timers after SIGKILL', (kind) => {
  it('each of 200 overdue timers fires exactly once, within seconds of the restart', async function () {
    this.timeout(120_000);
    await afterCrash(
      kind,
      {
        child: CHILD,
        prefix: 'konsilium-timers-',
        env: { TIMER_COUNT: '200' },
        ready: 'scheduled',
        waitMs: 60_000,
      },
      async ({ restart }) => {
        // The hub comes back eleven minutes later (by its clock): all 200 are overdue.
        const hub = restart(new FakeClock(new Date(Date.now() + 11 * 60_000)));
        const fired: number[] = [];
        hub.internals.timers.register('crash.tick', z.object({ n: z.number().int() }), (p) => {
          fired.push(p.n);
          return Promise.resolve();
        });
        const started = Date.now();
        await hub.start();
        try {
          while (fired.length < 200) {
            if (Date.now() - started > 10_000) throw new Error(`only ${fired.length} fired`);
            await new Promise((r) => setTimeout(r, 20));
          }
          await hub.internals.timers.runDue();
          assert.equal(fired.length, 200);
          assert.equal(new Set(fired).size, 200);
          const m = hub.internals.db.manager;
          assert.equal(await m.countBy(DurableTimerEntity, { state: 'fired' }), 200);
          assert.equal(await m.countBy(DurableTimerEntity, { state: 'scheduled' }), 0);
        } finally {
          await hub.stop();
        }
      },
    );
  });
});
