import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AlertTimelineEntry } from '@konsilium/shared';
import { EscalationEntity, TimelineEntity } from '../src/modules/escalation/escalation.entity.js';
import { DurableTimerEntity } from '../src/platform/timers/index.js';
import { FakeClock } from './support/clock.js';
import { afterCrash } from './support/crash.js';
import { eachDatabase } from './support/databases.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'escalation-crash-child.js');

eachDatabase('escalation after SIGKILL', (kind) => {
  it('200 pending escalations: after the restart each overdue step fires exactly once', async function () {
    this.timeout(180_000);
    await afterCrash(
      kind,
      {
        child: CHILD,
        prefix: 'konsilium-esc-',
        env: { ESCALATION_COUNT: '200' },
        ready: 'started',
        waitMs: 120_000,
      },
      async ({ out, restart }) => {
        const backupId = /started (\S+)/.exec(out)![1]!;
        // Eleven minutes later by the hub's clock: every ten-minute wait is overdue.
        const clock = new FakeClock(new Date(Date.now() + 11 * 60_000));
        const hub = restart(clock);
        const m = hub.internals.db.manager;
        const backupSteps = async () =>
          (await m.findBy(TimelineEntity, { type: 'escalated' })).filter(
            (r) => (JSON.parse(r.entry) as AlertTimelineEntry).stepType === 'backup',
          );
        const started = Date.now();
        await hub.start();
        try {
          while ((await backupSteps()).length < 200) {
            if (Date.now() - started > 30_000) {
              throw new Error(`only ${(await backupSteps()).length} fired`);
            }
            await new Promise((r) => setTimeout(r, 100));
          }
          await hub.internals.timers.runDue();
          await hub.internals.escalation.settled();
          const steps = await backupSteps();
          assert.equal(steps.length, 200);
          assert.equal(new Set(steps.map((s) => s.escalationId)).size, 200);
          for (const s of steps) {
            const e = JSON.parse(s.entry) as AlertTimelineEntry;
            assert.deepEqual(
              e.targets!.map((p) => p.id),
              [backupId],
            );
          }
          const kinds = { kind: 'escalation.step' };
          assert.equal(await m.countBy(DurableTimerEntity, { ...kinds, state: 'fired' }), 200);
          // The next waits are pending (due ten minutes after the restart), none lost.
          assert.equal(await m.countBy(DurableTimerEntity, { ...kinds, state: 'scheduled' }), 200);
          const rows = await m.find(EscalationEntity);
          assert.equal(rows.length, 200);
          for (const r of rows) {
            assert.equal(r.state, 'open');
            assert.equal(r.nextAt, new Date(Date.parse(r.nextAt!)).toISOString());
            assert.ok(Date.parse(r.nextAt) > clock.now().getTime());
          }
        } finally {
          await hub.stop();
        }
      },
    );
  });
});
