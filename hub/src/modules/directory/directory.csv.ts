import iconv from 'iconv-lite';
import { AppError } from '@konsilium/shared';

/*
 * A small RFC 4180 reader for HR exports: quoted fields ("" escapes a quote,
 * quotes may hold separators and line breaks), CRLF / LF / CR line ends,
 * optional UTF-8 BOM, `;` or `,` separator detected from the header line.
 */

export type CsvEncoding = 'utf-8' | 'windows-1251';
export type CsvSeparator = ';' | ',';

/** One record and the 1-based line where it starts. */
export interface CsvRecord {
  line: number;
  cells: string[];
}

function unreadable(message: string, details?: Record<string, unknown>): AppError {
  return new AppError('directory.import_unreadable', { message, ...(details ? { details } : {}) });
}

/**
 * Decodes the file: `auto` takes UTF-8 when the bytes are valid UTF-8 (with or
 * without BOM), else Windows-1251 (the usual Russian HR export).
 */
export function decodeCsv(
  bytes: Buffer,
  encoding: 'auto' | CsvEncoding,
): { text: string; encoding: CsvEncoding } {
  if (bytes.length === 0) throw unreadable('The import file is empty');
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  if (encoding === 'windows-1251') return { text: iconv.decode(bytes, 'win1251'), encoding };
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
      bom ? bytes.subarray(3) : bytes,
    );
    return { text, encoding: 'utf-8' };
  } catch {
    if (encoding === 'utf-8') throw unreadable('The import file is not valid UTF-8');
    return { text: iconv.decode(bytes, 'win1251'), encoding: 'windows-1251' };
  }
}

/** `;` or `,`, whichever occurs more often outside quotes in the first line. */
export function detectSeparator(text: string): CsvSeparator {
  let semi = 0;
  let comma = 0;
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch === ';') semi++;
    else if (!quoted && ch === ',') comma++;
  }
  if (semi === 0 && comma === 0) throw unreadable('The header line has no ";" or "," separator');
  return semi >= comma ? ';' : ',';
}

/** Splits the text into records; blank lines are skipped but still counted. */
export function parseCsv(text: string, sep: CsvSeparator): CsvRecord[] {
  const records: CsvRecord[] = [];
  let line = 1;
  let start = 1;
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let wasQuoted = false;
  const endCell = () => {
    cells.push(wasQuoted ? cell : cell.trim());
    cell = '';
    wasQuoted = false;
  };
  const endRecord = () => {
    endCell();
    if (cells.length > 1 || cells[0] !== '') records.push({ line: start, cells });
    cells = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n' || (ch === '\r' && text[i + 1] !== '\n')) line++;
        cell += ch;
      }
    } else if (ch === '"' && cell.trim() === '') {
      quoted = true;
      wasQuoted = true;
      cell = '';
    } else if (ch === sep) endCell();
    else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else cell += ch;
  }
  if (quoted)
    throw unreadable(`Unterminated quoted field starting on line ${start}`, { line: start });
  if (cell !== '' || cells.length > 0) endRecord();
  return records;
}
