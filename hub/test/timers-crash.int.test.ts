import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { createHub } from '../src/hub.js';
import { DurableTimerEntity } from '../src/platform/timers/index.js';
import { FakeClock } from './support/clock.js';
import { createPgDatabase, eachDatabase } from './support/databases.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'timers-crash-child.js');

eachDatabase('durable timers after SIGKILL', (kind) => {
  it('each of 200 overdue timers fires exactly once, within seconds of the restart', async function () {
    this.timeout(120_000);
    const dataDir = mkdtempSync(join(tmpdir(), 'konsilium-timers-'));
    const pgDb = kind === 'postgres' ? await createPgDatabase() : null;
    try {
      const child = spawn(process.execPath, [CHILD], {
        env: {
          PATH: process.env.PATH ?? '',
          KONSILIUM_DATA_DIR: dataDir,
          TIMER_COUNT: '200',
          ...(pgDb ? { KONSILIUM_DATABASE_URL: pgDb.url } : {}),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<NodeJS.Signals | null>((r) =>
        child.on('exit', (_code, signal) => r(signal)),
      );
      for (let i = 0; !out.includes('scheduled'); i++) {
        if (i > 1200 || child.exitCode !== null) throw new Error(`child failed: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');

      // The hub comes back eleven minutes later (by its clock): all 200 are overdue.
      const clock = new FakeClock(new Date(Date.now() + 11 * 60_000));
      const hub = createHub(
        { port: 0, host: '127.0.0.1', dataDir, ...(pgDb ? { databaseUrl: pgDb.url } : {}) },
        { clock, logDestination: new Writable({ write: (_c, _e, cb) => cb() }) },
      );
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
    } finally {
      await pgDb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
