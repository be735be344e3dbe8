import type { FileType } from './files.types.js';
import { isOle, oleEntryNames } from './files.ole.js';
import { zipEntryNames } from './files.zip.js';

/*
 * Content type from the bytes alone (MSG-10): the client's Content-Type and
 * the file name are never consulted, so a renamed executable stays refused.
 * Office documents with macros are refused too: a clinical hub has no use
 * for them and they are the usual way malware travels in documents.
 */

const startsWith = (b: Buffer, bytes: readonly number[], at = 0) =>
  b.length >= at + bytes.length && bytes.every((x, i) => b[at + i] === x);
const ascii = (b: Buffer, at: number, text: string) =>
  b.length >= at + text.length && b.toString('latin1', at, at + text.length) === text;

const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx']);
const HEIF_BRANDS = new Set(['mif1', 'msf1']);

/** HEIF family: an ISO-BMFF `ftyp` box whose major brand is a HEIC/HEIF one. */
function heif(b: Buffer): FileType | null {
  if (!ascii(b, 4, 'ftyp')) return null;
  const brand = b.toString('latin1', 8, 12);
  if (HEIC_BRANDS.has(brand)) return 'image/heic';
  return HEIF_BRANDS.has(brand) ? 'image/heif' : null;
}

const OOXML: readonly [string, FileType][] = [
  ['word/', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ['xl/', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ['ppt/', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
];

/** docx / xlsx / pptx: a ZIP with `[Content_Types].xml` and parts of exactly one application. */
function officeOpenXml(b: Buffer): FileType | null {
  const names = zipEntryNames(b);
  if (!names?.includes('[Content_Types].xml')) return null;
  if (names.some((n) => n.toLowerCase().endsWith('vbaproject.bin'))) return null;
  const kinds = OOXML.filter(([prefix]) => names.some((n) => n.startsWith(prefix)));
  return kinds.length === 1 ? kinds[0]![1] : null;
}

const OLE_MACROS = new Set(['Macros', '_VBA_PROJECT_CUR', '_VBA_PROJECT', 'VBA']);

/** doc / xls / ppt: an OLE2 file holding the main stream of one application and no macros. */
function legacyOffice(b: Buffer): FileType | null {
  const names = oleEntryNames(b);
  if (!names || names.some((n) => OLE_MACROS.has(n))) return null;
  const has = (n: string) => names.includes(n);
  const kinds: FileType[] = [];
  if (has('WordDocument')) kinds.push('application/msword');
  if (has('Workbook') || has('Book')) kinds.push('application/vnd.ms-excel');
  if (has('PowerPoint Document')) kinds.push('application/vnd.ms-powerpoint');
  return kinds.length === 1 ? kinds[0]! : null;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Plain text: valid UTF-8 without NUL bytes. */
function plainText(b: Buffer): FileType | null {
  if (b.includes(0)) return null;
  try {
    UTF8.decode(b);
    return 'text/plain';
  } catch {
    return null;
  }
}

/**
 * The content type of `bytes`, or `null` when it is none the hub accepts.
 * Images, PDF and Office are recognised by their signatures; plain text last,
 * so that a text file starting with, say, `%PDF-` is still a PDF.
 */
export function sniffContentType(bytes: Buffer): FileType | null {
  const b = bytes;
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return 'image/gif';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return 'image/webp';
  if (ascii(b, 0, '%PDF-')) return 'application/pdf';
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04])) return officeOpenXml(b);
  if (isOle(b)) return legacyOffice(b);
  return heif(b) ?? plainText(b);
}
