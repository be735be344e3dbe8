import assert from 'node:assert/strict';
import { foldText, searchWords } from '@konsilium/shared';
import { SYSTEM } from '../src/platform/http/actor.js';
import { person, staffCsv, utf8 } from './support/csv.js';
import { eachDatabase } from './support/databases.js';
import { makeOrgAndSite } from './support/factories.js';
import { startTestHub, type TestHub } from './support/hub.js';

const N = 20_000;
const UNITS = ['Кардиология', 'Неврология', 'Хирургия', 'Терапия', 'Реанимация'];

eachDatabase('directory search over 20,000 staff', (kind) => {
  let t: TestHub;
  before(async function () {
    this.timeout(600_000);
    t = await startTestHub(kind);
    const dir = t.hub.internals.directory;
    const { site } = await makeOrgAndSite(t, { org: 'Городская больница', site: 'Корпус 1' });
    const codes: string[] = [];
    for (const [i, name] of UNITS.entries()) {
      codes.push(`D${i}`);
      await dir.createUnit(SYSTEM, { kind: 'department', name, code: `D${i}`, parentId: site.id });
    }
    for (let from = 0; from < N; from += 5000) {
      const report = await dir.importCsv(SYSTEM, utf8(staffCsv(from, 5000, codes)), {
        dryRun: false,
        encoding: 'auto',
      });
      assert.equal(report.created, 5000, JSON.stringify(report.problems.slice(0, 3)));
    }
  });
  after(async () => t?.close());

  /** The expected matches computed from the generator, independently of the hub. */
  const expected = (words: string[]) => {
    let n = 0;
    for (let i = 0; i < N; i++) {
      const p = person(i);
      const fields = [
        p.last,
        p.first,
        p.middle,
        `u${i}`,
        p.job[0],
        p.job[1],
        UNITS[i % UNITS.length]!,
      ].flatMap((f) => searchWords(f));
      if (words.every((w) => fields.some((f) => f.startsWith(w)))) n++;
    }
    return n;
  };

  it('finds exactly the generated matches for 1–3 word prefixes (totals checked against the generator)', async () => {
    for (const q of [
      'иванов',
      'сем',
      'ал кард',
      'петров иван',
      'мед сес',
      'u1999',
      'ёлк',
      'зай ол хир',
    ]) {
      const res = await t.api.get(`/api/v1/directory/users?q=${encodeURIComponent(q)}&limit=50`, {
        token: t.admin.token,
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.total, expected(searchWords(q)), q);
      for (const item of res.body.items) {
        const fields = [
          item.lastName,
          item.firstName,
          item.middleName,
          item.login,
          item.position,
          item.specialty,
          ...item.units.map((u: { name: string }) => u.name),
        ];
        const words = fields.flatMap((f: string) => searchWords(f));
        for (const w of searchWords(q))
          assert.ok(
            words.some((f: string) => f.startsWith(w)),
            `${q}: ${item.login}`,
          );
      }
    }
  });

  it('ranks exact surnames before longer surnames, each block in name order', async () => {
    const res = await t.api.get(
      `/api/v1/directory/users?q=${encodeURIComponent('иванов')}&limit=200`,
      { token: t.admin.token },
    );
    const items = res.body.items as { lastName: string; firstName: string; middleName: string }[];
    const ranks = items.map((i) => (foldText(i.lastName) === 'иванов' ? 0 : 1));
    assert.deepEqual(ranks, [...ranks].sort());
    const keys = items
      .filter((_, i) => ranks[i] === 0)
      .map((i) => foldText(`${i.lastName} ${i.firstName} ${i.middleName}`));
    assert.deepEqual(keys, [...keys].sort());
  });

  it('pages through a large result without gaps or repeats', async () => {
    const seen = new Set<string>();
    let total = 0;
    for (let offset = 0; offset < 600; offset += 200) {
      const res = await t.api.get(
        `/api/v1/directory/users?q=${encodeURIComponent('кард')}&limit=200&offset=${offset}`,
        { token: t.admin.token },
      );
      total = res.body.total;
      for (const i of res.body.items) seen.add(i.id);
    }
    assert.equal(seen.size, Math.min(600, total));
  });

  it('both engines agree on pages and totals at this size', async () => {
    const dir = t.hub.internals.directory;
    for (const q of ['', 'а', 'ив', 'сем ал', 'врач нев', 'u123']) {
      const query = { q, limit: 20, offset: 10, includeInactive: false };
      const a = await dir.searchUsers(query, { engine: 'memory' });
      const b = await dir.searchUsers(query, { engine: 'sql' });
      assert.equal(a.total, b.total, q);
      assert.deepEqual(
        a.items.map((i) => i.id),
        b.items.map((i) => i.id),
        q,
      );
    }
  });
});
