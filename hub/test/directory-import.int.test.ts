import assert from 'node:assert/strict';
import { SYSTEM } from '../src/platform/http/actor.js';
import { cp1251, csvText, utf8 } from './support/csv.js';
import { eachDatabase } from './support/databases.js';
import { makeOrgAndSite } from './support/factories.js';
import { startTestHub, type TestHub } from './support/hub.js';

const SNILS_OK = '112-233-445 95';
const SNILS_BAD = '112-233-445 96';

eachDatabase('directory import', (kind) => {
  let t: TestHub;
  before(async function () {
    this.timeout(60_000);
    t = await startTestHub(kind);
    const dir = t.hub.internals.directory;
    const { site } = await makeOrgAndSite(t);
    await dir.createUnit(SYSTEM, {
      kind: 'department',
      name: 'Кардиология',
      code: 'CARD',
      parentId: site.id,
    });
    await dir.createUnit(SYSTEM, {
      kind: 'department',
      name: 'Неврология',
      code: 'NEURO',
      parentId: site.id,
    });
  });
  after(async () => t?.close());

  const post = (body: Buffer, qs = '', type = 'text/csv') =>
    t.api.request('POST', `/api/v1/directory/import${qs}`, {
      token: t.admin.token,
      rawBody: body,
      headers: { 'content-type': type },
    });
  const count = async () =>
    (
      await t.api.get('/api/v1/directory/users?includeInactive=true&limit=1', {
        token: t.admin.token,
      })
    ).body.total as number;
  const find = async (q: string) =>
    (
      await t.api.get(`/api/v1/directory/users?q=${encodeURIComponent(q)}`, {
        token: t.admin.token,
      })
    ).body.items;

  const utfFile = csvText(
    [
      [
        'last_name',
        'First Name',
        'middleName',
        'login',
        'position',
        'specialty',
        'category',
        'unit',
        'email',
        'SNILS',
        'Дата рождения',
      ],
      [
        'Громов',
        'Глеб',
        'Олегович',
        'g.gromov',
        'Врач-кардиолог',
        'Кардиология',
        'physician',
        'CARD',
        'g@example.org',
        SNILS_OK,
        '1980-01-01',
      ],
      [
        'Лёвина',
        'Ольга',
        '',
        'O.Levina',
        'Медсестра, палатная',
        '',
        'медсестра',
        'Кардиология|NEURO',
        '',
        '',
        '',
      ],
    ],
    ',',
  );

  it('a dry run of a UTF-8 file with BOM and "," reports would-be creations and writes nothing', async () => {
    const before = await count();
    const res = await post(utf8(utfFile, true), '?dryRun=true');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.encoding, 'utf-8');
    assert.equal(res.body.separator, ',');
    assert.equal(res.body.lines, 2);
    assert.equal(res.body.created, 2);
    assert.deepEqual(res.body.problems, []);
    assert.deepEqual(res.body.warnings, [
      { line: 1, field: 'Дата рождения', reason: 'unknown column, ignored' },
    ]);
    assert.equal(await count(), before);
  });

  it('a real run creates the staff with units, SNILS and default roles, audited; a second identical run changes nothing', async () => {
    const before = await count();
    const res = await post(utf8(utfFile, true));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.created, 2);
    assert.equal(await count(), before + 2);
    const [levina] = await find('лев');
    assert.equal(levina.login, 'o.levina');
    assert.equal(levina.position, 'Медсестра, палатная');
    assert.equal(levina.category, 'nurse');
    assert.deepEqual(levina.units.map((u: { name: string }) => u.name).sort(), [
      'Кардиология',
      'Неврология',
    ]);
    assert.deepEqual(levina.roles, ['nurse']);
    const [gromov] = await find('громов');
    assert.deepEqual(gromov.externalIds, [
      { system: 'urn:oid:1.2.643.100.3', value: '11223344595' },
    ]);
    const again = await post(utf8(utfFile, true));
    assert.equal(again.body.created, 0);
    assert.equal(again.body.updated, 0);
    assert.equal(again.body.unchanged, 2);
    assert.equal(await count(), before + 2);
    const audit = await t.api.get('/api/v1/audit?action=directory.import', {
      token: t.admin.token,
    });
    assert.equal(audit.body.items.length, 2);
    assert.equal(audit.body.items[1].details.created, 2);
    const creates = await t.api.get(
      `/api/v1/audit?action=directory.user.create&targetId=${gromov.id}`,
      { token: t.admin.token },
    );
    assert.equal(creates.body.items[0].details.source, 'import');
  });

  it('a Windows-1251 file with ";" and one bad line is refused whole (422, line numbers) and nothing is imported', async () => {
    const rows = [
      [
        'Фамилия',
        'Имя',
        'Отчество',
        'Логин',
        'Должность',
        'Категория',
        'Подразделение',
        'СНИЛС',
        'Табельный номер',
      ],
      ['Ёлкин', 'Сергей', 'Петрович', 'elkin', 'Хирург', 'врач', 'CARD', '', 'T-100'],
      ['Щукина', 'Анна', '', 'shchukina', 'Регистратор', 'регистратор', '', SNILS_BAD, 'T-101'],
      ['', 'Безфамильный', '', 'nolast', '', '', '', '', ''],
      ['Юдин', 'Юрий', '', 'yudin', '', 'волшебник', '', '', ''],
      ['Яшин', 'Лев', '', 'elkin', '', '', 'NOWHERE', '', ''],
    ];
    const bytes = cp1251(csvText(rows, ';'));
    const before = await count();
    const dry = await post(bytes, '?dryRun=true');
    assert.equal(dry.status, 200);
    assert.equal(dry.body.encoding, 'windows-1251');
    assert.equal(dry.body.separator, ';');
    assert.deepEqual(
      dry.body.problems.map((p: { line: number }) => p.line),
      [3, 4, 5, 6],
    );
    assert.match(dry.body.problems[0].reason, /SNILS/);
    assert.equal(dry.body.problems[1].field, 'Фамилия');
    assert.equal(dry.body.created, 1);
    const real = await post(bytes, '?encoding=windows-1251');
    assert.equal(real.status, 422);
    assert.equal(real.body.error.code, 'directory.import_invalid');
    assert.equal(real.body.error.details.problems.length, 4);
    assert.equal(await count(), before);
    assert.deepEqual(await find('елкин'), []);
    const good = await post(cp1251(csvText(rows.slice(0, 2), ';')));
    assert.equal(good.status, 200, JSON.stringify(good.body));
    const [elkin] = await find('ёлкин');
    assert.equal(elkin.lastName, 'Ёлкин');
    assert.deepEqual(elkin.externalIds, [
      { system: 'urn:konsilium:hr-employee-id', value: 'T-100' },
    ]);
  });

  it('a row matching an existing user by external id updates that user (login and position), audited with field names', async () => {
    const file = csvText([
      ['Фамилия', 'Имя', 'Логин', 'Должность', 'Табельный номер'],
      ['Ёлкин', 'Сергей', 'S.Elkin', 'Заведующий отделением', 'T-100'],
    ]);
    const res = await post(utf8(file));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.updated, 1);
    assert.equal(res.body.created, 0);
    const [elkin] = await find('елкин');
    assert.equal(elkin.login, 's.elkin');
    assert.equal(elkin.position, 'Заведующий отделением');
    assert.equal(elkin.middleName, 'Петрович', 'absent columns are kept');
    assert.equal(elkin.units.length, 1, 'absent unit column keeps memberships');
    assert.deepEqual((await find('хирург')).length, 0, 'the old position is no longer searchable');
    const audit = await t.api.get(
      `/api/v1/audit?action=directory.user.update&targetId=${elkin.id}`,
      { token: t.admin.token },
    );
    assert.deepEqual([...audit.body.items[0].details.changed].sort(), ['login', 'position']);
  });

  it('reports duplicates inside the file and conflicting matches', async () => {
    const file = csvText([
      ['Фамилия', 'Имя', 'Логин', 'ext:urn:mis:practitioner'],
      ['Один', 'Первый', 'dup', 'M-1'],
      ['Два', 'Второй', 'DUP', 'M-2'],
      ['Три', 'Третий', 'three', 'M-1'],
      ['Громов', 'Глеб', 's.elkin', ''],
    ]);
    const res = await post(utf8(file), '?dryRun=true');
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.problems.map((p: { line: number }) => p.line),
      [3, 4],
    );
    assert.match(res.body.problems[0].reason, /repeats line 2/);
    assert.equal(res.body.updated, 1, 'line 5 updates s.elkin by login');
  });

  it('refuses unreadable files with 400 directory.import_unreadable and unsupported media with 415', async () => {
    const before = await count();
    const cases: Buffer[] = [
      Buffer.alloc(0),
      utf8('just one column\r\nvalue\r\n'),
      utf8('Фамилия;Имя\r\nА;Б\r\n'),
      utf8('Фамилия;Фамилия;Имя;Логин\r\n'),
      utf8('Фамилия;Имя;Логин\r\n"Незакрытая;И;x\r\n'),
    ];
    for (const body of cases) {
      const res = await post(body);
      assert.equal(res.status, 400, body.toString());
      assert.equal(res.body.error.code, 'directory.import_unreadable');
    }
    const notUtf = await post(cp1251('Фамилия;Имя;Логин\r\n'), '?encoding=utf-8');
    assert.equal(notUtf.body.error.code, 'directory.import_unreadable');
    const json = await post(utf8('{}'), '', 'application/json');
    assert.equal(json.status, 415);
    const badQuery = await post(utf8(utfFile), '?dryRun=maybe');
    assert.equal(badQuery.status, 400);
    assert.equal(badQuery.body.error.code, 'validation.invalid');
    assert.equal(await count(), before);
  });
});
