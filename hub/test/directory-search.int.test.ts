import assert from 'node:assert/strict';
import { SYSTEM } from '../src/platform/http/actor.js';
import { eachDatabase } from './support/databases.js';
import { makeOrgAndSite } from './support/factories.js';
import { startTestHub, type TestHub } from './support/hub.js';

const PEOPLE: [string, string, string | null, string | null, string | null, string][] = [
  // last, first, middle, position, specialty, category
  ['Иванов', 'Иван', 'Иванович', 'Врач-кардиолог', 'Кардиология', 'physician'],
  ['Иванова', 'Мария', 'Петровна', 'Медицинская сестра', null, 'nurse'],
  ['Ивановский', 'Олег', null, 'Хирург', 'Хирургия', 'physician'],
  ['Петров', 'Иван', 'Сергеевич', 'Ординатор', 'Кардиология', 'resident'],
  ['Сидоров', 'Пётр', 'Ильич', 'Врач-невролог', 'Неврология', 'physician'],
  ['Семёнов', 'Артём', null, 'Врач-кардиолог', 'Кардиология', 'physician'],
  ['Семенова', 'Алёна', null, 'Регистратор', null, 'registrar'],
  ['Smith', 'John', null, 'Consultant', 'Cardiology', 'physician'],
];

eachDatabase('directory search', (kind) => {
  let t: TestHub;
  let ids: Record<string, string>;
  let cardio: string;
  let cardioWard: string;
  before(async function () {
    this.timeout(60_000);
    t = await startTestHub(kind);
    const dir = t.hub.internals.directory;
    const { site } = await makeOrgAndSite(t);
    cardio = (
      await dir.createUnit(SYSTEM, {
        kind: 'department',
        name: 'Отделение кардиологии',
        parentId: site.id,
      })
    ).id;
    cardioWard = (
      await dir.createUnit(SYSTEM, {
        kind: 'unit',
        name: 'Блок интенсивной терапии',
        parentId: cardio,
      })
    ).id;
    ids = {};
    let n = 0;
    for (const [lastName, firstName, middleName, position, specialty, category] of PEOPLE) {
      const u = await dir.createUser(
        SYSTEM,
        {
          login: `s${++n}.${kind}`,
          password: 'correct-horse-battery',
          lastName,
          firstName,
          middleName,
          position,
          specialty,
          category: category as 'physician',
          unitIds: lastName === 'Семёнов' ? [cardioWard] : lastName === 'Иванов' ? [cardio] : [],
        },
        { passwordHash: 'x' },
      );
      ids[lastName] = u.id;
    }
  });
  after(async () => t?.close());

  const search = async (qs: string) => {
    const res = await t.api.get(`/api/v1/directory/users?${qs}`, { token: t.admin.token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as {
      items: { id: string; lastName: string }[];
      total: number;
      limit: number;
      offset: number;
    };
  };
  const names = async (qs: string) => (await search(qs)).items.map((i) => i.lastName);

  it('matches Cyrillic case-insensitively', async () => {
    assert.deepEqual(await names('q=ИВАНОВ'), ['Иванов', 'Иванова', 'Ивановский']);
    assert.deepEqual(await names(`q=${encodeURIComponent('сИдОрОв')}`), ['Сидоров']);
  });

  it('treats ё and е as the same letter in both directions', async () => {
    assert.deepEqual(await names(`q=${encodeURIComponent('семенов')}`), ['Семёнов', 'Семенова']);
    assert.deepEqual(await names(`q=${encodeURIComponent('семёнова')}`), ['Семенова']);
    assert.deepEqual(await names(`q=${encodeURIComponent('артем')}`), ['Семёнов']);
    assert.deepEqual(await names(`q=${encodeURIComponent('алёна')}`), ['Семенова']);
  });

  it('"ива кард" finds Иванов the cardiologist: every word must prefix some field word', async () => {
    // Иванов (surname prefix) before Петров Иван (first name), both in cardiology
    assert.deepEqual(await names(`q=${encodeURIComponent('ива кард')}`), ['Иванов', 'Петров']);
    assert.deepEqual(await names(`q=${encodeURIComponent('кард ива')}`), ['Иванов', 'Петров']);
    assert.deepEqual(await names(`q=${encodeURIComponent('ива карди врач')}`), ['Иванов']);
    assert.deepEqual(await names(`q=${encodeURIComponent('иван кардиология')}`), [
      'Иванов',
      'Петров',
    ]);
    assert.deepEqual(
      await names(`q=${encodeURIComponent('ива невро')}`),
      [],
      'all words must match',
    );
    assert.deepEqual(
      await names(`q=${encodeURIComponent('ванов')}`),
      [],
      'prefixes only, not infixes',
    );
  });

  it('searches position, specialty, login, unit names and Latin text', async () => {
    assert.deepEqual(await names(`q=${encodeURIComponent('хирург')}`), ['Ивановский']);
    assert.deepEqual(await names(`q=${encodeURIComponent('интенсивн')}`), ['Семёнов']);
    assert.deepEqual(await names('q=CARDIO'), ['Smith']);
    assert.deepEqual(await names(`q=s5.${kind}`), ['Сидоров']);
  });

  it('ranks exact surname first, then surname prefix, then other fields; ties by name', async () => {
    assert.deepEqual(await names(`q=${encodeURIComponent('иван')}`), [
      'Иванов',
      'Иванова',
      'Ивановский',
      'Петров',
    ]);
    assert.deepEqual(await names(`q=${encodeURIComponent('иванов')}`), [
      'Иванов',
      'Иванова',
      'Ивановский',
    ]);
    assert.deepEqual(await names(`q=${encodeURIComponent('иванова')}`), ['Иванова']);
  });

  it('paginates with a stable order and the total of all matches', async () => {
    const all = await names('limit=200');
    const p1 = await search('limit=3&offset=0');
    const p2 = await search('limit=3&offset=3');
    const p3 = await search('limit=3&offset=6');
    assert.equal(p1.total, all.length);
    assert.deepEqual(
      [...p1.items, ...p2.items, ...p3.items].map((i) => i.lastName),
      all.slice(0, 9),
    );
    assert.equal(p2.offset, 3);
    assert.equal(p2.limit, 3);
    const beyond = await search('limit=3&offset=500');
    assert.deepEqual(beyond.items, []);
    assert.equal(beyond.total, all.length);
  });

  it('filters by unit (including sub-units), category, position and specialty prefixes', async () => {
    assert.deepEqual(await names(`unitId=${cardio}`), ['Иванов', 'Семёнов']);
    assert.deepEqual(await names(`unitId=${cardioWard}`), ['Семёнов']);
    assert.deepEqual(await names('category=nurse'), ['Иванова']);
    assert.deepEqual(await names(`position=${encodeURIComponent('врач-кардио')}`), [
      'Иванов',
      'Семёнов',
    ]);
    assert.deepEqual(
      await names(`specialty=${encodeURIComponent('кардиол')}&q=${encodeURIComponent('иван')}`),
      ['Иванов', 'Петров'],
    );
    assert.deepEqual(await names(`category=resident&q=${encodeURIComponent('иван')}`), ['Петров']);
  });

  it('refuses bad search parameters with 400 and an unknown unit with 404', async () => {
    for (const qs of [
      'limit=0',
      'limit=1000',
      'offset=-1',
      'category=wizard',
      'unitId=nope',
      'includeInactive=yes',
      'sort=name',
    ]) {
      const res = await t.api.get(`/api/v1/directory/users?${qs}`, { token: t.admin.token });
      assert.equal(res.status, 400, qs);
      assert.equal(res.body.error.code, 'validation.invalid');
    }
    const res = await t.api.get(
      '/api/v1/directory/users?unitId=00000000-0000-4000-8000-000000000000',
      { token: t.admin.token },
    );
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'directory.unit_not_found');
  });

  it('excludes inactive staff unless includeInactive=true', async () => {
    await t.hub.internals.directory.deactivateUser(SYSTEM, ids['Сидоров']!);
    assert.deepEqual(await names(`q=${encodeURIComponent('сидоров')}`), []);
    assert.deepEqual(await names(`q=${encodeURIComponent('сидоров')}&includeInactive=true`), [
      'Сидоров',
    ]);
  });

  it('both engines (in-process index and SQL) return the same pages', async () => {
    const dir = t.hub.internals.directory;
    for (const q of ['', 'иван', 'ива кард', 'семен', 'с', 'кард', 'cardio', 'нет-такого']) {
      for (const includeInactive of [false, true]) {
        const query = { q, limit: 5, offset: 0, includeInactive };
        const a = await dir.searchUsers(query, { engine: 'memory' });
        const b = await dir.searchUsers(query, { engine: 'sql' });
        assert.deepEqual(
          a.items.map((i) => i.id),
          b.items.map((i) => i.id),
          q,
        );
        assert.equal(a.total, b.total, q);
      }
    }
  });
});
