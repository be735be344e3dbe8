import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, ERRORS } from '@konsilium/shared';

/** Compiled to hub/dist/test/: the repository root is three levels up. */
const DOC_URL = new URL('../../../docs/errors.md', import.meta.url);

interface DocRow {
  code: string;
  status: number;
  line: number;
  /** The `##` heading the row sits under. */
  section: string;
}

const CODE_CELL = /^`([a-z][a-z0-9_]*\.[a-z0-9_.]+)`$/;

/** The rows of the doc's tables whose first cell is a backticked `<domain>.<reason>`. */
function docRows(text: string): DocRow[] {
  const rows: DocRow[] = [];
  let section = '';
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith('## ')) section = line.slice(3);
    if (!line.startsWith('|')) return;
    const cells = line.slice(1, line.endsWith('|') ? -1 : undefined).split('|');
    const code = CODE_CELL.exec(cells[0]?.trim() ?? '')?.[1];
    if (!code) return;
    rows.push({ code, status: Number(cells[1]?.trim()), line: i + 1, section });
  });
  return rows;
}

describe('docs/errors.md and the error catalogue', function () {
  const text = readFileSync(DOC_URL, 'utf8');
  const rows = docRows(text);
  const byCode = new Map<string, DocRow[]>();
  for (const row of rows) byCode.set(row.code, [...(byCode.get(row.code) ?? []), row]);

  it('lists every catalogue code in a table with its HTTP status', function () {
    const missing = ERROR_CODES.filter((code) => !byCode.has(code));
    assert.deepEqual(missing, [], `codes missing from docs/errors.md: ${missing.join(', ')}`);
    const wrong = ERROR_CODES.flatMap((code) =>
      (byCode.get(code) ?? [])
        .filter((row) => row.status !== ERRORS[code].status)
        .map(
          (row) =>
            `${code} (line ${row.line}): doc says ${row.status}, catalogue ${ERRORS[code].status}`,
        ),
    );
    assert.deepEqual(wrong, [], wrong.join('; '));
  });

  it('lists no code that is missing from the catalogue, and none twice', function () {
    const known = new Set<string>(ERROR_CODES);
    const unknown = rows
      .filter((row) => !known.has(row.code))
      .map((r) => `${r.code} (line ${r.line})`);
    assert.deepEqual(
      unknown,
      [],
      `docs/errors.md lists codes not in the catalogue: ${unknown.join(', ')}`,
    );
    const twice = [...byCode].filter(([, r]) => r.length > 1).map(([code]) => code);
    assert.deepEqual(twice, [], `listed more than once: ${twice.join(', ')}`);
  });

  it('groups each code under the section of its domain', function () {
    const misplaced = rows
      .filter((row) => !row.section.includes(`\`${row.code.split('.')[0]}\``))
      .map((row) => `${row.code} under "${row.section}" (line ${row.line})`);
    assert.deepEqual(misplaced, [], misplaced.join('; '));
  });

  it('documents the error body shape', function () {
    for (const member of ['code', 'message', 'field', 'details', 'requestId']) {
      assert.match(text, new RegExp(`"${member}"`), `the example body lacks "${member}"`);
    }
  });

  it('keeps every catalogue entry well-formed: <domain>.<reason> and a 4xx/5xx status', function () {
    for (const code of ERROR_CODES) {
      assert.match(code, /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/, code);
      const { status } = ERRORS[code];
      assert.ok(status >= 400 && status <= 599, `${code}: status ${status}`);
    }
  });
});
