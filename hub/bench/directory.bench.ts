/*
 * Directory benchmark: a real hub on SQLite (temp dir, port 0), 20,000
 * generated Russian staff, ≥ 2,000 varied searches over HTTP, then the same
 * queries in-process. Prints p50/p95/p99/max in ms. Target (DIR-2): p99 ≤ 10 ms
 * over HTTP on a 2-core machine. Run: `npm run bench:directory`; with
 * `BENCH_POSTGRES=1` the hub runs on a fresh PostgreSQL database instead
 * (`KONSILIUM_TEST_DATABASE_URL`, default the local server).
 */
import { performance } from 'node:perf_hooks';
import { SYSTEM } from '../src/platform/http/actor.js';
import { person, staffCsv, utf8 } from '../test/support/csv.js';
import { benchAdmin, benchSite, printStats, withBenchHub } from './support.js';

const STAFF = Number(process.env.BENCH_STAFF ?? 20_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 3_000);
const PASSWORD = 'bench-password-123';
const UNITS = [
  'Кардиология',
  'Неврология',
  'Хирургия',
  'Терапия',
  'Реанимация',
  'Приёмное отделение',
];

const stats = (label: string, ms: number[]) => printStats(label, ms, 34, 2);

/** A deterministic mix: 1–3 words, prefixes of 2–5 letters of names/jobs, some with filters. */
function queries(count: number, unitIds: string[]): string[] {
  let seed = 42;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const p = person(rnd(STAFF));
    const pool = [p.last, p.first, p.middle, p.job[0], p.job[1] || p.last].map(
      (w) => w.toLowerCase().split(/[\s-]+/)[0]!,
    );
    const words: string[] = [];
    const n = 1 + rnd(3);
    for (let k = 0; k < n; k++) words.push(pool[rnd(pool.length)]!.slice(0, 2 + rnd(4)));
    const params = new URLSearchParams({ q: words.join(' '), limit: '20' });
    const f = rnd(10);
    if (f === 0) params.set('category', 'physician');
    if (f === 1) params.set('unitId', unitIds[rnd(unitIds.length)]!);
    if (f === 2) params.set('specialty', 'кард');
    if (f === 3) params.set('offset', '20');
    out.push(params.toString());
  }
  return out;
}

async function main(): Promise<void> {
  await withBenchHub(
    (kind) => `directory bench on ${kind}`,
    async (hub) => {
      const dir = hub.internals.directory;
      const site = await benchSite(hub, 'Городская клиническая больница', 'Главный корпус');
      const unitIds: string[] = [];
      for (const [i, name] of UNITS.entries()) {
        unitIds.push(
          (
            await dir.createUnit(SYSTEM, {
              kind: 'department',
              name,
              code: `D${i}`,
              parentId: site.id,
            })
          ).id,
        );
      }
      const t0 = performance.now();
      for (let from = 0; from < STAFF; from += 5000) {
        await dir.importCsv(
          SYSTEM,
          utf8(
            staffCsv(
              from,
              Math.min(5000, STAFF - from),
              UNITS.map((_, i) => `D${i}`),
            ),
          ),
          { dryRun: false, encoding: 'auto' },
        );
      }
      console.log(
        `seeded ${STAFF} staff through the CSV import in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      const headers = await benchAdmin(hub, PASSWORD);
      const list = queries(QUERIES, unitIds);
      for (const q of list.slice(0, 200))
        await (await fetch(`${hub.url()}/api/v1/directory/users?${q}`, { headers })).arrayBuffer();

      const http: number[] = [];
      let hits = 0;
      for (const q of list) {
        const s = performance.now();
        const res = await fetch(`${hub.url()}/api/v1/directory/users?${q}`, { headers });
        const body = (await res.json()) as { total: number };
        http.push(performance.now() - s);
        if (res.status !== 200) throw new Error(`search failed: ${res.status}`);
        hits += body.total > 0 ? 1 : 0;
      }
      console.log(`${list.length} queries, ${hits} with results`);
      stats('search over HTTP (incl. auth)', http);

      for (const engine of ['memory', 'sql'] as const) {
        const ms: number[] = [];
        for (const q of list) {
          const p = new URLSearchParams(q);
          const s = performance.now();
          await dir.searchUsers(
            {
              q: p.get('q') ?? undefined,
              limit: 20,
              offset: Number(p.get('offset') ?? 0),
              category: (p.get('category') as 'physician' | null) ?? undefined,
              unitId: p.get('unitId') ?? undefined,
              specialty: p.get('specialty') ?? undefined,
            },
            { engine },
          );
          ms.push(performance.now() - s);
        }
        stats(`search in-process (${engine} engine)`, ms);
      }

      // Login throughput is measured by login.bench.ts (run next by `npm run bench:directory`).
    },
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
