/*
 * Escalation step lateness (ESC-2, durable timers): a real hub on SQLite
 * (temp dir, port 0, the system clock) with 1,000 escalations pending at
 * once. Units get policies whose first wait differs by a second each
 * (BENCH_SPREAD distinct waits from BENCH_WAIT seconds), so the steps fall due
 * over about a minute after all escalations have started. Lateness of a step =
 * when its handler ran (the timeline line) minus when it was due (the wait's
 * line plus its seconds). Prints p50/p95/p99/max in ms. Goal: p99 ≤ 1 s.
 * Run: `npm run bench:escalation`; `BENCH_POSTGRES=1` runs on a fresh
 * PostgreSQL database; BENCH_ESCALATIONS / BENCH_WAIT / BENCH_SPREAD scale it.
 */
import { randomUUID } from 'node:crypto';
import type { AlertTimelineEntry } from '@konsilium/shared';
import { TimelineEntity } from '../src/modules/escalation/escalation.entity.js';
import { SYSTEM } from '../src/platform/http/actor.js';
import { benchSite, printStats, withBenchHub } from './support.js';

const COUNT = Number(process.env.BENCH_ESCALATIONS ?? 1_000);
const WAIT = Number(process.env.BENCH_WAIT ?? 60);
const SPREAD = Math.max(1, Number(process.env.BENCH_SPREAD ?? 50));

const stats = (label: string, ms: number[]) => printStats(label, ms, 30, 1);

async function main(): Promise<void> {
  await withBenchHub(
    (kind) => `escalation bench on ${kind}: ${COUNT} escalations`,
    async (hub) => {
      const dir = hub.internals.directory;
      const person = async (login: string) =>
        (
          await dir.createUser(
            SYSTEM,
            { login, password: 'bench-password-123', lastName: 'Тестов', firstName: 'Тест' },
            { passwordHash: 'x' },
          )
        ).id;
      const target = await person('target');
      const backup = await person('backup');
      const site = await benchSite(hub, 'Больница', 'Корпус');
      const units: string[] = [];
      for (let i = 0; i < SPREAD; i++) {
        const u = await dir.createUnit(SYSTEM, {
          kind: 'department',
          name: `Отделение ${i + 1}`,
          parentId: site.id,
        });
        units.push(u.id);
        await hub.internals.escalation.policies.create(SYSTEM, {
          name: `Политика ${i + 1}`,
          unitId: u.id,
          match: { priorities: ['critical'], kinds: ['message'] },
          steps: [
            { type: 'notify' },
            { type: 'wait', seconds: WAIT + i },
            { type: 'backup', target: { kind: 'user', id: backup } },
            { type: 'wait', seconds: 3600 },
          ],
          failSafe: { kind: 'user', id: backup },
        });
      }
      const t0 = Date.now();
      for (let i = 0; i < COUNT; i++) {
        await hub.internals.escalation.startForMessage({
          messageId: randomUUID(),
          conversationId: randomUUID(),
          unitId: units[i % SPREAD]!,
          priority: 'critical',
          kind: 'message',
          targets: [target],
        });
      }
      const startMs = Date.now() - t0;
      console.log(
        `started ${COUNT} in ${(startMs / 1000).toFixed(1)} s (${(startMs / COUNT) | 0 || '<1'} ms each); pending timers: ${hub.internals.timers.pendingCount()}`,
      );
      if (startMs > WAIT * 1000) console.log('warning: starting took longer than the first wait');
      const m = hub.internals.db.manager;
      const deadline = Date.now() + (WAIT + SPREAD + 120) * 1000;
      let fired = 0;
      while (fired < COUNT) {
        if (Date.now() > deadline) throw new Error(`only ${fired} steps fired`);
        await new Promise((r) => setTimeout(r, 1000));
        // Each escalation has one `escalated` line for the first wait, then two per fired step
        // (the backup and the next wait).
        fired = ((await m.countBy(TimelineEntity, { type: 'escalated' })) - COUNT) / 2;
      }
      await hub.internals.escalation.settled();
      const lines = await m.find(TimelineEntity, { order: { seq: 'ASC' } });
      const byEsc = new Map<string, AlertTimelineEntry[]>();
      for (const l of lines) {
        const list = byEsc.get(l.escalationId) ?? [];
        list.push(JSON.parse(l.entry) as AlertTimelineEntry);
        byEsc.set(l.escalationId, list);
      }
      const lateness: number[] = [];
      for (const entries of byEsc.values()) {
        const wait = entries.find((e) => e.stepType === 'wait');
        const step = entries.find((e) => e.stepType === 'backup');
        if (!wait || !step) continue;
        const due = Date.parse(wait.at) + Number.parseInt(wait.note ?? '0', 10) * 1000;
        lateness.push(Date.parse(step.at) - due);
      }
      stats('step lateness', lateness);
      const p99 = [...lateness].sort((a, b) => a - b)[Math.floor(0.99 * lateness.length)] ?? 0;
      console.log(`goal p99 ≤ 1000 ms: ${p99 <= 1000 ? 'met' : 'NOT met'}`);
    },
  );
}

await main();
