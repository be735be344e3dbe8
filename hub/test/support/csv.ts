import iconv from 'iconv-lite';

/** Quotes a CSV cell when needed (RFC 4180). */
export function csvCell(value: string, sep: string): string {
  return /["\r\n]/.test(value) || value.includes(sep) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A CSV file from rows of cells. */
export function csvText(rows: string[][], sep: ';' | ',' = ';', eol = '\r\n'): string {
  return rows.map((r) => r.map((c) => csvCell(c, sep)).join(sep)).join(eol) + eol;
}

/** UTF-8 bytes, optionally with a BOM. */
export function utf8(text: string, bom = false): Buffer {
  return Buffer.concat([
    bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0),
    Buffer.from(text, 'utf8'),
  ]);
}

/** Windows-1251 bytes (the usual Russian HR export). */
export function cp1251(text: string): Buffer {
  return iconv.encode(text, 'win1251');
}

const LAST = [
  'Иванов',
  'Петров',
  'Сидоров',
  'Смирнов',
  'Кузнецов',
  'Попов',
  'Васильев',
  'Соколов',
  'Михайлов',
  'Новиков',
  'Фёдоров',
  'Морозов',
  'Волков',
  'Алексеев',
  'Лебедев',
  'Семёнов',
  'Егоров',
  'Павлов',
  'Козлов',
  'Степанов',
  'Николаев',
  'Орлов',
  'Андреев',
  'Макаров',
  'Никитин',
  'Захаров',
  'Зайцев',
  'Соловьёв',
  'Борисов',
  'Яковлев',
];
const FIRST_M = [
  'Александр',
  'Алексей',
  'Андрей',
  'Артём',
  'Борис',
  'Виктор',
  'Дмитрий',
  'Евгений',
  'Иван',
  'Игорь',
  'Кирилл',
  'Максим',
  'Михаил',
  'Николай',
  'Олег',
  'Павел',
  'Пётр',
  'Роман',
  'Сергей',
  'Юрий',
];
const FIRST_F = [
  'Анна',
  'Алёна',
  'Валентина',
  'Галина',
  'Дарья',
  'Екатерина',
  'Елена',
  'Ирина',
  'Мария',
  'Наталья',
  'Ольга',
  'Светлана',
  'Татьяна',
  'Юлия',
];
const MIDDLE = [
  'Александров',
  'Андреев',
  'Викторов',
  'Дмитриев',
  'Иванов',
  'Михайлов',
  'Николаев',
  'Петров',
  'Сергеев',
  'Юрьев',
];
/** [position, specialty, category] */
export const JOBS: [string, string, string][] = [
  ['Врач-кардиолог', 'Кардиология', 'врач'],
  ['Врач-невролог', 'Неврология', 'врач'],
  ['Врач-хирург', 'Хирургия', 'врач'],
  ['Врач-терапевт', 'Терапия', 'врач'],
  ['Врач-анестезиолог-реаниматолог', 'Анестезиология и реаниматология', 'врач'],
  ['Врач-рентгенолог', 'Рентгенология', 'врач'],
  ['Ординатор', 'Кардиология', 'ординатор'],
  ['Ординатор', 'Хирургия', 'ординатор'],
  ['Медицинская сестра палатная', 'Сестринское дело', 'медсестра'],
  ['Медицинская сестра процедурная', 'Сестринское дело', 'медсестра'],
  ['Старшая медицинская сестра', 'Сестринское дело', 'медсестра'],
  ['Медицинский регистратор', '', 'регистратор'],
  ['Техник', '', 'техник'],
  ['Заведующий отделением', 'Кардиология', 'администратор'],
];

/** A deterministic pseudo-random staff member number `i` (name parts, job). */
export function person(i: number): {
  last: string;
  first: string;
  middle: string;
  job: [string, string, string];
} {
  const female = i % 3 === 0;
  const pick = <T>(list: T[], salt: number) => list[(i * 7919 + salt * 104729) % list.length]!;
  const lastBase = pick(LAST, 1);
  const last = female
    ? lastBase.endsWith('ий')
      ? lastBase.slice(0, -2) + 'ая'
      : lastBase + 'а'
    : lastBase;
  const middleBase = pick(MIDDLE, 3).replace(/в$/, 'в');
  const middle = female ? `${middleBase}на` : `${middleBase}ич`;
  return { last, first: female ? pick(FIRST_F, 2) : pick(FIRST_M, 2), middle, job: pick(JOBS, 4) };
}

/** An HR export of `count` staff starting at number `from` (`;`-separated). */
export function staffCsv(from: number, count: number, unitCodes: string[]): string {
  const rows: string[][] = [
    [
      'Фамилия',
      'Имя',
      'Отчество',
      'Логин',
      'Должность',
      'Специальность',
      'Категория',
      'Подразделение',
      'Табельный номер',
    ],
  ];
  for (let i = from; i < from + count; i++) {
    const p = person(i);
    rows.push([
      p.last,
      p.first,
      p.middle,
      `u${i}`,
      p.job[0],
      p.job[1],
      p.job[2],
      unitCodes[i % unitCodes.length] ?? '',
      `T${i}`,
    ]);
  }
  return csvText(rows);
}
