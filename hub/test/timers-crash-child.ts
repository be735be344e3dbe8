/*
 * Child process of the durable-timer crash test: starts a hub over the given
 * data directory or database, schedules TIMER_COUNT timers due in ten minutes,
 * prints "scheduled" and waits to be killed with SIGKILL.
 */
import { z } from 'zod';
import { crashChildHub } from './support/crash.js';

const count = Number(process.env.TIMER_COUNT ?? '200');
const hub = crashChildHub();
hub.internals.timers.register('crash.tick', z.object({ n: z.number().int() }), () =>
  Promise.reject(new Error('must not fire before the crash')),
);
await hub.start();
const due = Date.now() + 10 * 60_000;
for (let i = 0; i < count; i++) {
  await hub.internals.timers.schedule(undefined, {
    kind: 'crash.tick',
    key: `k${i}`,
    dueAt: new Date(due + i),
    payload: { n: i },
  });
}
process.stdout.write('scheduled\n');
setInterval(() => undefined, 1000);
