import { AppError, CreateUserRequest, ExternalId, type ImportProblem } from '@konsilium/shared';
import type { CsvRecord } from './directory.csv.js';
import {
  SNILS_SYSTEM,
  columnMeaning,
  normalizeSnils,
  parseCategory,
  splitUnits,
  type ColumnMeaning,
  type ImportField,
} from './directory-import.mapping.js';
import type { StaffFields } from './directory.writes.js';

/*
 * From CSV records to validated candidate rows (no database access): header
 * mapping, per-cell validation with the same zod schemas as the API.
 */

/** One valid line of the file. Absent columns are absent here (the stored value is kept). */
export interface CandidateRow {
  line: number;
  login: string;
  fields: Partial<StaffFields>;
  /** Unit codes or names, when the file has a unit column. */
  units: string[] | undefined;
  /** Value per system for every id column of the file; null clears that system's id. */
  externalIds: Map<string, string | null>;
}

export interface ParsedRows {
  rows: CandidateRow[];
  problems: ImportProblem[];
  warnings: ImportProblem[];
}

/** The API's field rules, for the scalar columns. */
const RowSchema = CreateUserRequest.omit({
  password: true,
  roles: true,
  unitIds: true,
  externalIds: true,
  category: true,
}).partial();
const REQUIRED: ImportField[] = ['lastName', 'firstName', 'login'];
const NULLABLE = new Set<ImportField>([
  'middleName',
  'position',
  'specialty',
  'phone',
  'extension',
  'email',
]);

/** Maps the header; a file without the required columns or with a column twice is unreadable. */
export function mapHeader(header: CsvRecord): {
  columns: ColumnMeaning[];
  warnings: ImportProblem[];
} {
  const columns = header.cells.map(columnMeaning);
  const warnings: ImportProblem[] = [];
  const seen = new Set<string>();
  for (const c of columns) {
    if (c.kind === 'unknown') {
      if (c.header !== '')
        warnings.push({ line: 1, field: c.header, reason: 'unknown column, ignored' });
      continue;
    }
    const key = c.kind === 'field' ? c.field : `ext:${c.system}`;
    if (seen.has(key))
      throw new AppError('directory.import_unreadable', {
        message: `The column "${c.header}" appears twice`,
        details: { column: c.header },
      });
    seen.add(key);
    if (c.kind === 'externalId' && !ExternalId.shape.system.safeParse(c.system).success) {
      throw new AppError('directory.import_unreadable', {
        message: `Bad identifier system in column "${c.header}"`,
        details: { column: c.header },
      });
    }
  }
  const missing = REQUIRED.filter((f) => !seen.has(f));
  if (missing.length) {
    throw new AppError('directory.import_unreadable', {
      message: `Required columns missing: ${missing.join(', ')}`,
      details: { missing },
    });
  }
  return { columns, warnings };
}

/** Validates every data record; bad lines become problems, never exceptions. */
export function parseRows(
  records: readonly CsvRecord[],
  columns: readonly ColumnMeaning[],
): Omit<ParsedRows, 'warnings'> {
  const rows: CandidateRow[] = [];
  const problems: ImportProblem[] = [];
  for (const rec of records) {
    const problem = (reason: string, field?: string) =>
      problems.push({ line: rec.line, reason, ...(field ? { field } : {}) });
    if (
      rec.cells.length > columns.length &&
      rec.cells.slice(columns.length).some((c) => c !== '')
    ) {
      problem(`${rec.cells.length} cells but the header has ${columns.length}`);
      continue;
    }
    const raw: Record<string, string> = {};
    const externalIds = new Map<string, string | null>();
    let units: string[] | undefined;
    let bad = false;
    let category: StaffFields['category'] | undefined;
    columns.forEach((c, i) => {
      const cell = rec.cells[i] ?? '';
      if (c.kind === 'unknown') return;
      if (c.kind === 'externalId') {
        if (cell === '') return void externalIds.set(c.system, null);
        const value = c.system === SNILS_SYSTEM ? normalizeSnils(cell) : cell;
        if (value === null || !ExternalId.shape.value.safeParse(value).success) {
          bad = true;
          return void problem(
            c.system === SNILS_SYSTEM
              ? 'invalid SNILS (format or check digits)'
              : 'invalid identifier',
            c.header,
          );
        }
        return void externalIds.set(c.system, value);
      }
      if (c.field === 'units') return void (units = splitUnits(cell));
      if (c.field === 'category') {
        const parsed = parseCategory(cell);
        if (parsed === null) {
          bad = true;
          return void problem(`unknown category "${cell.slice(0, 40)}"`, c.header);
        }
        return void (category = parsed);
      }
      raw[c.field] = cell;
    });
    if (bad) continue;
    const input: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw))
      if (v !== '' || !NULLABLE.has(k as ImportField)) input[k] = v;
    const parsed = RowSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const key = String(issue.path[0] ?? '');
      const header = columns.find((c) => c.kind === 'field' && c.field === key)?.header ?? key;
      problem(
        issue.message === 'Required' || (issue.code === 'too_small' && raw[key] === '')
          ? 'required value is empty'
          : issue.message,
        header,
      );
      continue;
    }
    const fields: Partial<StaffFields> = { ...parsed.data };
    for (const k of Object.keys(raw) as ImportField[])
      if (raw[k] === '' && NULLABLE.has(k)) (fields as Record<string, unknown>)[k] = null;
    if (category !== undefined) fields.category = category;
    rows.push({ line: rec.line, login: fields.login!, fields, units, externalIds });
  }
  return { rows, problems };
}
