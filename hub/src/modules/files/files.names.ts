import { AppError } from '@konsilium/shared';
import { FILE_TYPES, type FileType } from './files.types.js';

/** Longest stored name, in Unicode code points (the column is varchar(255)). */
export const MAX_NAME_LENGTH = 255;

/** C0/C1 controls, and the bidirectional overrides that make `exe.pdf` read as `fdp.exe`. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const DEFAULT_BASE: Record<string, string> = {
  image: 'image',
  application: 'document',
  text: 'text',
};

/**
 * The stored name of an upload: the last path component of what the client
 * sent, without control or bidi characters, trimmed. A name whose extension
 * does not fit the sniffed type gets the type's extension appended
 * (`scan.exe` holding a PNG becomes `scan.exe.png`), so a saved download
 * never opens as something else. No usable name → `<kind>.<ext>`.
 * A cleaned name over {@link MAX_NAME_LENGTH} is `files.invalid_name`.
 */
export function cleanName(raw: string | undefined, type: FileType): string {
  const { extensions } = FILE_TYPES[type];
  const ext = extensions[0];
  const base = (raw ?? '').split(/[/\\]/).pop()!.replace(UNSAFE, '').trim();
  if (LONE_SURROGATE.test(base)) {
    throw new AppError('files.invalid_name', {
      field: 'name',
      message: 'The file name is not valid Unicode',
    });
  }
  if ([...base].length > MAX_NAME_LENGTH) {
    throw new AppError('files.invalid_name', {
      field: 'name',
      message: `The file name is longer than ${MAX_NAME_LENGTH} characters`,
    });
  }
  if (base === '' || /^\.+$/.test(base)) return `${DEFAULT_BASE[type.split('/')[0]!]}.${ext}`;
  const dot = base.lastIndexOf('.');
  const current = dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
  if ((extensions as readonly string[]).includes(current)) return base;
  const suffix = `.${ext}`;
  const room = MAX_NAME_LENGTH - suffix.length;
  const points = [...base];
  return (points.length > room ? points.slice(0, room).join('') : base) + suffix;
}

const RFC5987 = (s: string) =>
  encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * `Content-Disposition` for a download (RFC 6266): an ASCII fallback and the
 * exact UTF-8 name; `inline` only for images.
 */
export function contentDisposition(name: string, inline: boolean): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `${inline ? 'inline' : 'attachment'}; filename="${fallback}"; filename*=UTF-8''${RFC5987(name)}`;
}
