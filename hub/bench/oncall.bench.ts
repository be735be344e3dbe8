/*
 * Who-is-on-call benchmark (ROS-3): a real hub on SQLite (temp dir, port 0)
 * with 5,000 staff, 500 duty roles in three time zones and a year of shifts
 * made by the roster's own patterns (day and night «через трое» rotations;
 * every tenth role has a gap each week that falls back to another role).
 * Then random (role, time) questions across the year: in-process through the
 * module's port and over HTTP. Prints p50/p95/p99/max in ms.
 * Target: p99 ≤ 5 ms. Run: `npm run bench:oncall`; `BENCH_POSTGRES=1` runs
 * on a fresh PostgreSQL database; BENCH_STAFF / BENCH_ROLES / BENCH_DAYS scale it.
 */
import { performance } from 'node:perf_hooks';
import { SYSTEM } from '../src/platform/http/actor.js';
import { staffCsv, utf8 } from '../test/support/csv.js';
import { benchAdmin, benchSite, printStats, withBenchHub } from './support.js';

const STAFF = Number(process.env.BENCH_STAFF ?? 5_000);
const ROLES = Number(process.env.BENCH_ROLES ?? 500);
const DAYS = Number(process.env.BENCH_DAYS ?? 365);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 5_000);
const PASSWORD = 'bench-password-123';
const ZONES = ['Europe/Moscow', 'Asia/Yekaterinburg', 'Asia/Vladivostok'];

const stats = (label: string, ms: number[]) => printStats(label, ms, 36, 3);

async function main(): Promise<void> {
  await withBenchHub(
    (kind) => `on-call bench on ${kind}`,
    async (hub) => {
      const dir = hub.internals.directory;
      const site = await benchSite(hub, 'Городская клиническая больница', 'Корпус 1');
      const units: string[] = [];
      for (const [i, zone] of ZONES.entries())
        units.push(
          (
            await dir.createUnit(SYSTEM, {
              kind: 'department',
              name: `Отделение ${i + 1}`,
              code: `D${i}`,
              parentId: site.id,
              timeZone: zone,
            })
          ).id,
        );
      let t0 = performance.now();
      for (let from = 0; from < STAFF; from += 5000)
        await dir.importCsv(
          SYSTEM,
          utf8(staffCsv(from, Math.min(5000, STAFF - from), ['D0', 'D1', 'D2'])),
          { dryRun: false, encoding: 'auto' },
        );
      const staff = (
        await hub.internals.db.dataSource.query<{ id: string }[]>(
          'SELECT id FROM staff ORDER BY login',
        )
      ).map((r) => r.id);
      console.log(
        `seeded ${staff.length} staff in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );

      const rosters = hub.internals.rosters.internals;
      t0 = performance.now();
      const roleIds: string[] = [];
      const start = new Date('2026-01-01T00:00:00Z');
      const to = new Date(start.getTime() + (DAYS - 1) * 86400_000).toISOString().slice(0, 10);
      for (let r = 0; r < ROLES; r++) {
        const gap = r % 10 === 9 && roleIds.length > 0;
        const role = await rosters.roles.create(SYSTEM, {
          name: `Дежурная роль ${r + 1}`,
          unitId: units[r % units.length]!,
          ...(gap ? { fallback: { kind: 'role' as const, id: roleIds[r - 1]! } } : {}),
        });
        roleIds.push(role.id);
        const pick = (k: number) => staff[(r * 8 + k) % staff.length]!;
        for (const [startTime, offset] of [
          ['08:00', 0],
          ['20:00', 4],
        ] as const) {
          const cycle = [pick(offset), pick(offset + 1), pick(offset + 2), pick(offset + 3)];
          const exceptions = gap
            ? Array.from({ length: Math.floor(DAYS / 7) }, (_, w) => ({
                date: new Date(start.getTime() + w * 7 * 86400_000).toISOString().slice(0, 10),
                userId: null,
              }))
            : [];
          const pattern = await rosters.patterns.create(SYSTEM, {
            roleId: role.id,
            name: startTime === '08:00' ? 'День' : 'Ночь',
            kind: 'cycle',
            anchorDate: '2026-01-01',
            startTime,
            hours: 12,
            cycle,
            exceptions,
          });
          await rosters.patterns.expand(SYSTEM, pattern.id, {
            from: '2026-01-01',
            to,
            publish: true,
          });
        }
      }
      const shifts = (
        await hub.internals.db.dataSource.query<{ n: string | number }[]>(
          'SELECT COUNT(*) AS n FROM duty_shift',
        )
      )[0]!.n;
      console.log(
        `seeded ${ROLES} roles and ${shifts} shifts in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );

      // mulberry32: deterministic, and its low bits are as random as its high ones.
      let seed = 7;
      const rnd = (n: number) => {
        seed = (seed + 0x6d2b79f5) | 0;
        let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
        return Math.floor((((x ^ (x >>> 14)) >>> 0) / 4294967296) * n);
      };
      // From the first full day to the last (the first shift starts at 08:00 local).
      const first = start.getTime() + 86400_000;
      const span = (DAYS - 2) * 86400_000;
      const questions = Array.from({ length: QUERIES }, () => ({
        roleId: roleIds[rnd(roleIds.length)]!,
        at: new Date(first + rnd(span / 1000) * 1000),
      }));

      // Cold: the first question per role loads its shifts from the database.
      const cold: number[] = [];
      for (const roleId of roleIds) {
        const s = performance.now();
        await hub.internals.rosters.resolveOnCall(roleId, new Date(first));
        cold.push(performance.now() - s);
      }
      stats('first question per role (cold)', cold);

      const warm: number[] = [];
      const sources = new Map<string, number>();
      for (const q of questions) {
        const s = performance.now();
        const a = await hub.internals.rosters.resolveOnCall(q.roleId, q.at);
        warm.push(performance.now() - s);
        sources.set(a.source, (sources.get(a.source) ?? 0) + 1);
        if (a.people.length === 0)
          throw new Error(`empty answer for ${q.roleId} at ${q.at.toISOString()}`);
      }
      console.log(`answers by source: ${JSON.stringify(Object.fromEntries(sources))}`);
      stats('who is on call, in-process', warm);

      const headers = await benchAdmin(hub, PASSWORD);
      const http: number[] = [];
      for (const [i, q] of questions.entries()) {
        const url = `${hub.url()}/api/v1/oncall?roleId=${q.roleId}&at=${encodeURIComponent(q.at.toISOString())}`;
        const s = performance.now();
        const res = await fetch(url, { headers });
        await res.arrayBuffer();
        if (i >= 200) http.push(performance.now() - s);
        if (res.status !== 200) throw new Error(`on-call failed: ${res.status}`);
      }
      stats('GET /api/v1/oncall over HTTP', http);
    },
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
