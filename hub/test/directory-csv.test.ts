import assert from 'node:assert/strict';
import { decodeCsv, detectSeparator, parseCsv } from '../src/modules/directory/directory.csv.js';
import {
  columnMeaning,
  normalizeSnils,
  parseCategory,
} from '../src/modules/directory/directory-import.mapping.js';
import {
  prefixUpperBound,
  staffTokens,
  surnameRank,
} from '../src/modules/directory/directory.text.js';
import { cp1251, utf8 } from './support/csv.js';

describe('directory CSV reader and mapping', () => {
  it('parses quoted fields with separators, doubled quotes and line breaks; records keep their first line number', () => {
    const text = 'a;b;c\r\n"x;1";"say ""hi""";"two\nlines"\r\n\r\nlast;;\n';
    assert.deepEqual(parseCsv(text, ';'), [
      { line: 1, cells: ['a', 'b', 'c'] },
      { line: 2, cells: ['x;1', 'say "hi"', 'two\nlines'] },
      { line: 5, cells: ['last', '', ''] },
    ]);
  });

  it('an unterminated quote makes the file unreadable', () => {
    assert.throws(() => parseCsv('a;b\n"open;x\n', ';'), { code: 'directory.import_unreadable' });
  });

  it('detects the separator from the header line, ignoring quoted ones', () => {
    assert.equal(detectSeparator('a;b;"c,d,e"\n1,2,3,4,5'), ';');
    assert.equal(detectSeparator('a,b,c\n'), ',');
    assert.throws(() => detectSeparator('abc\n'), { code: 'directory.import_unreadable' });
  });

  it('decodes UTF-8 with or without BOM and falls back to Windows-1251', () => {
    assert.deepEqual(decodeCsv(utf8('Фамилия', true), 'auto'), {
      text: 'Фамилия',
      encoding: 'utf-8',
    });
    assert.deepEqual(decodeCsv(utf8('Фамилия'), 'auto'), { text: 'Фамилия', encoding: 'utf-8' });
    assert.deepEqual(decodeCsv(cp1251('Фамилия Ёлкин'), 'auto'), {
      text: 'Фамилия Ёлкин',
      encoding: 'windows-1251',
    });
    assert.throws(() => decodeCsv(cp1251('Фамилия'), 'utf-8'), {
      code: 'directory.import_unreadable',
    });
    assert.throws(() => decodeCsv(Buffer.alloc(0), 'auto'), {
      code: 'directory.import_unreadable',
    });
  });

  it('maps Russian and English headers case-insensitively, ext: columns and unknown ones', () => {
    for (const h of ['Фамилия', 'ФАМИЛИЯ', 'last_name', 'lastName', 'Last Name']) {
      assert.deepEqual(columnMeaning(h), { kind: 'field', field: 'lastName', header: h });
    }
    assert.deepEqual(columnMeaning('Табельный номер'), {
      kind: 'externalId',
      system: 'urn:konsilium:hr-employee-id',
      header: 'Табельный номер',
    });
    assert.deepEqual(columnMeaning('СНИЛС'), {
      kind: 'externalId',
      system: 'urn:oid:1.2.643.100.3',
      header: 'СНИЛС',
    });
    assert.deepEqual(columnMeaning('ext:urn:mis:doc'), {
      kind: 'externalId',
      system: 'urn:mis:doc',
      header: 'ext:urn:mis:doc',
    });
    assert.equal(columnMeaning('Дата рождения').kind, 'unknown');
  });

  it('reads categories in Russian or as the enum; unknown words are null', () => {
    assert.equal(parseCategory('Врач'), 'physician');
    assert.equal(parseCategory('медицинская  сестра'), 'nurse');
    assert.equal(parseCategory('ordinator'), null);
    assert.equal(parseCategory('resident'), 'resident');
    assert.equal(parseCategory(''), 'other');
  });

  it('validates SNILS check digits (including the 100/101 → 00 rule) and normalizes to 11 digits', () => {
    assert.equal(normalizeSnils('112-233-445 95'), '11223344595');
    assert.equal(normalizeSnils('11223344596'), null);
    assert.equal(normalizeSnils('123-456'), null);
    assert.equal(normalizeSnils('001-001-998 00'), '00100199800', 'old numbers have no check');
    // 999999999: sum 9*45 = 405 → 405 mod 101 = 1
    assert.equal(normalizeSnils('999-999-999 01'), '99999999901');
  });

  it('indexes folded words of every field; prefix bounds and surname ranks', () => {
    const tokens = staffTokens(
      'u1',
      {
        lastName: 'Римский-Корсаков',
        firstName: 'Пётр',
        middleName: null,
        login: 'p.rk',
        position: 'Врач',
        specialty: null,
      },
      ['Отделение Ё'],
    );
    assert.deepEqual(
      tokens.map((t) => `${t.field}:${t.token}`),
      [
        'last:римский',
        'last:корсаков',
        'first:петр',
        'login:p',
        'login:rk',
        'position:врач',
        'unit:отделение',
        'unit:е',
      ],
    );
    assert.equal(prefixUpperBound('ива'), 'ивб');
    assert.equal(surnameRank(['иванов'], ['иванов']), 0);
    assert.equal(surnameRank(['ива'], ['иванов']), 1);
    assert.equal(surnameRank(['кард'], ['иванов']), 2);
  });
});
