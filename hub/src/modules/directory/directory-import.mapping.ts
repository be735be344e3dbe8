import { foldText, type StaffCategory } from '@konsilium/shared';

/*
 * How HR export columns map to staff fields: Russian or English header names,
 * case-insensitive, spaces/underscores/hyphens ignored (`Last name`,
 * `last_name`, `lastName` are one column). `ext:<system>` columns carry an
 * external id of that system.
 */

export type ImportField =
  | 'lastName'
  | 'firstName'
  | 'middleName'
  | 'login'
  | 'position'
  | 'specialty'
  | 'category'
  | 'units'
  | 'phone'
  | 'extension'
  | 'email';

/** Identifier systems of the built-in id columns. */
export const HR_EMPLOYEE_ID_SYSTEM = 'urn:konsilium:hr-employee-id';
export const SNILS_SYSTEM = 'urn:oid:1.2.643.100.3';

const HEADERS: Record<string, ImportField | { system: string }> = {};
const alias = (target: ImportField | { system: string }, ...names: string[]) => {
  for (const n of names) HEADERS[headerKey(n)] = target;
};
alias('lastName', 'Фамилия', 'last_name', 'surname', 'family_name');
alias('firstName', 'Имя', 'first_name', 'given_name');
alias('middleName', 'Отчество', 'middle_name', 'patronymic');
alias('login', 'Логин', 'login', 'username', 'user_name');
alias('position', 'Должность', 'position', 'job_title', 'title');
alias('specialty', 'Специальность', 'specialty', 'speciality');
alias('category', 'Категория', 'category');
alias('units', 'Подразделение', 'Подразделения', 'Отделение', 'unit', 'units', 'department');
alias('phone', 'Телефон', 'phone');
alias('extension', 'Добавочный', 'Добавочный номер', 'extension');
alias('email', 'Email', 'E-mail', 'Эл. почта', 'Электронная почта', 'Почта');
alias(
  { system: HR_EMPLOYEE_ID_SYSTEM },
  'Табельный номер',
  'Табельный',
  'employee_id',
  'employee_number',
);
alias({ system: SNILS_SYSTEM }, 'СНИЛС', 'snils');

/** Header text folded for lookup: case, ё, spaces, `_`, `-`, `.` ignored. */
export function headerKey(header: string): string {
  return foldText(header).replace(/[\s_.-]+/g, '');
}

/** What one column of the file means. */
export type ColumnMeaning =
  | { kind: 'field'; field: ImportField; header: string }
  | { kind: 'externalId'; system: string; header: string }
  | { kind: 'unknown'; header: string };

/** Meaning of a header cell. */
export function columnMeaning(header: string): ColumnMeaning {
  const ext = /^ext:(.+)$/i.exec(header.trim());
  if (ext) return { kind: 'externalId', system: ext[1]!.trim(), header };
  const target = HEADERS[headerKey(header)];
  if (!target) return { kind: 'unknown', header };
  return typeof target === 'string'
    ? { kind: 'field', field: target, header }
    : { kind: 'externalId', system: target.system, header };
}

const CATEGORY_WORDS: Record<string, StaffCategory> = {};
const words = (category: StaffCategory, ...list: string[]) => {
  for (const w of [category, ...list]) CATEGORY_WORDS[foldText(w).replace(/\s+/g, ' ')] = category;
};
words('physician', 'врач', 'доктор', 'doctor', 'attending');
words('resident', 'ординатор', 'интерн');
words(
  'nurse',
  'медсестра',
  'медбрат',
  'медицинская сестра',
  'медицинский брат',
  'сестра',
  'фельдшер',
);
words('administrator', 'администратор', 'admin');
words('registrar', 'регистратор');
words('technician', 'техник', 'лаборант');
words('other', 'прочее', 'прочие', 'другое');

/** The category named by a cell (Russian word or the English enum); empty means `other`; unknown is null. */
export function parseCategory(cell: string): StaffCategory | null {
  const key = foldText(cell).trim().replace(/\s+/g, ' ');
  if (key === '') return 'other';
  return CATEGORY_WORDS[key] ?? null;
}

/**
 * The SNILS (Russian personal insurance number) as 11 digits, or null when
 * malformed or its check number is wrong. Check: Σ d[i]·(9−i) over the first 9
 * digits; < 100 is the check, 100 and 101 give 00, else the sum mod 101 (100 → 00).
 * Numbers up to 001-001-998 predate the check and are accepted as they are.
 */
export function normalizeSnils(cell: string): string | null {
  const digits = cell.replace(/[\s-]/g, '');
  if (!/^\d{11}$/.test(digits)) return null;
  const body = digits.slice(0, 9);
  if (Number(body) <= 1001998) return digits;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(body[i]) * (9 - i);
  let check = sum < 100 ? sum : sum <= 101 ? 0 : sum % 101;
  if (check === 100) check = 0;
  return check === Number(digits.slice(9)) ? digits : null;
}

/** Unit cells may name several units, separated by `|`. */
export function splitUnits(cell: string): string[] {
  return cell
    .split('|')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
