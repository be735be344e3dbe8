/**
 * The `konsilium://patient?…` deep link and the `--patient-…` command line a
 * MIS uses to pass the selected patient. Pure functions: outside text in, a
 * context or a machine reason out. Nothing here throws, and no reason carries
 * any of the input (reasons are logged; the input may be patient data).
 *
 *   konsilium://patient?system=<uri>&value=<id>[&display=<label>]
 *                      [&encounter=<id>][&encounterSystem=<uri>]
 */
import { buildContext, type ContextFields, type ParseResult } from './common.js';

/** Longest deep link accepted (Windows shell verbs and browsers cut near here anyway). */
export const MAX_URL_LENGTH = 2048;
/** More query parameters than this is not a MIS talking. */
export const MAX_URL_PARAMS = 16;
/** Largest argv accepted: entries, one entry's length, and all of them together. */
export const MAX_ARGV_ENTRIES = 256;
export const MAX_ARG_LENGTH = 4096;
export const MAX_ARGV_TOTAL = 32 * 1024;

export const DEEP_LINK_SCHEME = 'konsilium';

export interface ParseOptions {
  /** Identifier system used when the MIS sends only a value (configured per hospital). */
  defaultSystem?: string | undefined;
  /** Time stamped on the context; defaults to the current time. */
  now?: (() => Date) | undefined;
}

/** Deep-link parameter → field; anything else is ignored (MIS versions add their own). */
const URL_PARAMS = {
  system: 'system',
  value: 'value',
  display: 'display',
  encounter: 'encounter',
  encountersystem: 'encounterSystem',
  'encounter-system': 'encounterSystem',
} as const;
type Field = (typeof URL_PARAMS)[keyof typeof URL_PARAMS];

/** `--patient-system=…` style flags → field. */
const ARG_FLAGS: Record<string, Field> = {
  '--patient-system': 'system',
  '--patient-value': 'value',
  '--patient-id': 'value',
  '--patient-display': 'display',
  '--encounter': 'encounter',
  '--encounter-value': 'encounter',
  '--encounter-system': 'encounterSystem',
};

/* eslint-disable-next-line no-control-regex -- finds control characters in raw input */
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function fail(reason: string): ParseResult {
  return { ok: false, reason };
}

function decodeComponent(raw: string): string | null {
  try {
    // decodeURIComponent throws on malformed escapes and on bytes that are not UTF-8.
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

function toContext(
  prefix: string,
  fields: Partial<Record<Field, string>>,
  source: 'url',
  opts: ParseOptions,
): ParseResult {
  if (fields.value === undefined || fields.value.trim() === '')
    return fail(`${prefix}.missing_value`);
  const system = fields.system ?? opts.defaultSystem;
  if (system === undefined || system.trim() === '') return fail(`${prefix}.missing_system`);
  if (fields.encounterSystem !== undefined && fields.encounter === undefined) {
    return fail(`${prefix}.missing_encounter`);
  }
  const ctx: ContextFields = { system, value: fields.value, display: fields.display };
  if (fields.encounter !== undefined && fields.encounter.trim() !== '') {
    ctx.encounter = { value: fields.encounter, system: fields.encounterSystem };
  }
  return buildContext(prefix, ctx, source, (opts.now ?? (() => new Date()))());
}

/**
 * Parses a `konsilium://patient?…` deep link. Accepts the link URL-encoded as
 * a whole (some MIS encode it once more), a trailing slash after `patient`, a
 * fragment (ignored) and unknown parameters (ignored). Rejects another scheme
 * or host, credentials or a port, control characters, duplicate or too many
 * parameters, percent escapes that are not UTF-8, and a link over
 * {@link MAX_URL_LENGTH} characters.
 */
export function parsePatientUrl(url: unknown, opts: ParseOptions = {}): ParseResult {
  if (typeof url !== 'string') return fail('url.not_text');
  if (url.length > MAX_URL_LENGTH) return fail('url.too_long');
  if (RAW_CONTROL.test(url)) return fail('url.control_char');
  let link = url.trim();
  if (/^konsilium%3a/i.test(link)) {
    const decoded = decodeComponent(link);
    if (decoded === null) return fail('url.bad_encoding');
    link = decoded.trim();
    if (RAW_CONTROL.test(link)) return fail('url.control_char');
  }
  const match = /^([a-z][a-z0-9+.-]*):(.*)$/is.exec(link);
  if (!match || match[1]!.toLowerCase() !== DEEP_LINK_SCHEME) return fail('url.scheme');
  let rest = match[2]!;
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  const target = (q >= 0 ? rest.slice(0, q) : rest).toLowerCase();
  if (target !== '//patient' && target !== '//patient/') return fail('url.target');
  const query = q >= 0 ? rest.slice(q + 1) : '';
  const pairs = query === '' ? [] : query.split('&').filter((p) => p !== '');
  if (pairs.length > MAX_URL_PARAMS) return fail('url.too_many_params');
  const fields: Partial<Record<Field, string>> = {};
  const seen = new Set<string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const rawKey = eq >= 0 ? pair.slice(0, eq) : pair;
    const key = decodeComponent(rawKey);
    const value = decodeComponent(eq >= 0 ? pair.slice(eq + 1) : '');
    if (key === null || value === null) return fail('url.bad_encoding');
    const norm = key.toLowerCase();
    if (seen.has(norm)) return fail('url.duplicate_param');
    seen.add(norm);
    const field = (URL_PARAMS as Record<string, Field | undefined>)[norm];
    if (field) fields[field] = value;
  }
  return toContext('url', fields, 'url', opts);
}

/** Strips one pair of surrounding double quotes, as Windows may leave them. */
function unquote(arg: string): string {
  return arg.length >= 2 && arg.startsWith('"') && arg.endsWith('"') ? arg.slice(1, -1) : arg;
}

/**
 * Finds the patient in a process argv: either a `konsilium://` deep link
 * anywhere in it (how Windows hands a protocol activation to the second
 * instance, between Chromium's own switches) or `--patient-system=…
 * --patient-value=… [--patient-display=…] [--encounter=…]
 * [--encounter-system=…]` flags (`--flag value` works too). Both forms at
 * once, two different links, or a repeated flag are rejected as ambiguous;
 * an argv with neither gives `argv.no_context` (an ordinary launch).
 */
export function parsePatientArgv(argv: unknown, opts: ParseOptions = {}): ParseResult {
  if (!Array.isArray(argv)) return fail('argv.not_list');
  if (argv.length > MAX_ARGV_ENTRIES) return fail('argv.too_large');
  let total = 0;
  for (const a of argv) {
    if (typeof a !== 'string') return fail('argv.not_text');
    if (a.length > MAX_ARG_LENGTH) return fail('argv.too_large');
    total += a.length;
  }
  if (total > MAX_ARGV_TOTAL) return fail('argv.too_large');
  const args = (argv as string[]).map(unquote);

  const links = new Set<string>();
  const fields: Partial<Record<Field, string>> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (/^konsilium(:|%3a)/i.test(arg.trimStart())) {
      links.add(arg.trim());
      continue;
    }
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    const flag = (eq >= 0 ? arg.slice(0, eq) : arg).toLowerCase();
    const field = ARG_FLAGS[flag];
    if (!field) continue;
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < args.length && !args[i + 1]!.startsWith('--')) value = args[++i];
    if (value === undefined) return fail('argv.missing_value');
    if (fields[field] !== undefined) return fail('argv.duplicate_param');
    fields[field] = unquote(value);
  }
  const hasFlags = Object.keys(fields).length > 0;
  if (links.size > 1 || (links.size === 1 && hasFlags)) return fail('argv.ambiguous');
  if (links.size === 1) {
    const parsed = parsePatientUrl([...links][0], opts);
    return parsed;
  }
  if (!hasFlags) return fail('argv.no_context');
  return toContext('argv', fields, 'url', opts);
}
