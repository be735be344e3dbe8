import { createHash } from 'node:crypto';
import { Hl7Message, type Hl7Segment } from '@medplum/core';
import iconv from 'iconv-lite';
import type {
  ClinicianRef,
  LabObservation,
  NormalisedResult,
  PatientIdentifier,
  PersonName,
} from './results.types.js';

/**
 * HL7 v2 ORU^R01 → {@link NormalisedResult}. The bytes of one MLLP frame are
 * decoded by the charset MSH-18 names (read from the raw bytes, MSH being
 * ASCII), the segment structure comes from the `@medplum/core` parser, and the
 * escapes it leaves in place are undone here per component.
 */

/** Why a message was not accepted: `AE` (cannot be understood) or `AR` (not supported). */
export class Hl7Rejection extends Error {
  constructor(
    readonly ackCode: 'AE' | 'AR',
    /** HL7 table 0357 error condition. */
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'Hl7Rejection';
  }
}

/** The MSH fields the ACK mirrors; whatever could be read, even from a bad message. */
export interface Hl7Header {
  fieldSep: string;
  encodingChars: string;
  sendingApp: string;
  sendingFacility: string;
  receivingApp: string;
  receivingFacility: string;
  controlId: string;
  processingId: string;
  version: string;
  messageType: string;
  /** MSH-18 as sent (empty when absent). */
  charsetName: string;
  /** iconv-lite name the frame was decoded with. */
  charset: string;
}

export const SUPPORTED_VERSIONS = [
  '2.3',
  '2.3.1',
  '2.4',
  '2.5',
  '2.5.1',
  '2.6',
  '2.7',
  '2.7.1',
  '2.8',
] as const;

/** MSH-18 (HL7 table 0211) → iconv-lite charset name. */
const CHARSETS: Record<string, string> = {
  'UNICODE UTF-8': 'utf-8',
  'UTF-8': 'utf-8',
  UNICODE: 'utf-8',
  ASCII: 'ascii',
  '8859/1': 'iso-8859-1',
  '8859/5': 'iso-8859-5',
  // Not in table 0211, but sent by legacy Russian systems.
  'WINDOWS-1251': 'windows-1251',
  CP1251: 'windows-1251',
};

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Uint8Array): boolean {
  try {
    STRICT_UTF8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Raw (still escaped) MSH fields read from the first line of the frame's bytes. */
function rawMsh(bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes).toString('latin1');
  const start = text.indexOf('MSH');
  if (start < 0 || text.length < start + 8) return [];
  const end = text.slice(start).search(/[\r\n]/);
  const line = end < 0 ? text.slice(start) : text.slice(start, start + end);
  const sep = line[3]!;
  const parts = line.split(sep);
  // parts[0] = 'MSH', parts[1] = MSH-2; MSH-n (n ≥ 2) is parts[n - 1].
  return ['MSH', sep, ...parts.slice(1)];
}

/** The header as far as it can be read from raw bytes (for the ACK of anything). */
export function readHeader(bytes: Uint8Array, fallbackCharset: string): Hl7Header {
  const f = rawMsh(bytes);
  const enc = f[2] ?? '^~\\&';
  const comp = enc[0] ?? '^';
  const rep = enc[1] ?? '~';
  const field = (n: number) => (f[n] ?? '').split(rep)[0]!;
  const charsetName = field(18).split(comp)[0]!.trim();
  let charset: string;
  if (charsetName) {
    charset = CHARSETS[charsetName.toUpperCase()] ?? '';
  } else {
    charset = isUtf8(bytes) ? 'utf-8' : fallbackCharset;
  }
  return {
    fieldSep: f[1] ?? '|',
    encodingChars: enc,
    sendingApp: field(3),
    sendingFacility: field(4),
    receivingApp: field(5),
    receivingFacility: field(6),
    controlId: field(10).slice(0, 199),
    processingId: field(11).split(comp)[0]!,
    version: field(12).split(comp)[0]!,
    messageType: field(9),
    charsetName,
    charset,
  };
}

/** Undoes HL7 escapes in one component (after the parser split it). */
export function unescapeHl7(
  value: string,
  d: { field: string; comp: string; rep: string; esc: string; sub: string },
  charset: string,
): string {
  if (!d.esc || !value.includes(d.esc)) return value;
  let out = '';
  let i = 0;
  while (i < value.length) {
    const ch = value[i]!;
    if (ch !== d.esc) {
      out += ch;
      i++;
      continue;
    }
    const close = value.indexOf(d.esc, i + 1);
    if (close < 0) {
      out += value.slice(i);
      break;
    }
    const seq = value.slice(i + 1, close);
    i = close + 1;
    switch (seq) {
      case 'F':
        out += d.field;
        continue;
      case 'S':
        out += d.comp;
        continue;
      case 'T':
        out += d.sub;
        continue;
      case 'R':
        out += d.rep;
        continue;
      case 'E':
        out += d.esc;
        continue;
      case '.br':
        out += '\n';
        continue;
      case 'H':
      case 'N':
        continue;
    }
    if (/^X([0-9A-Fa-f]{2})+$/.test(seq)) {
      out += iconv.decode(Buffer.from(seq.slice(1), 'hex'), charset);
      continue;
    }
    // Unknown escape: kept as sent.
    out += d.esc + seq + d.esc;
  }
  return out;
}

/** HL7 TS/DTM → ISO 8601 (offset kept when given); null when absent or unreadable. */
export function hl7Time(value: string): string | null {
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?([+-]\d{4})?$/.exec(
    value.trim(),
  );
  if (!m) return null;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', tz] = m;
  const base = `${y}-${mo}-${d}T${h}:${mi}:${s}`;
  if (!tz) return base;
  return `${base}${tz.slice(0, 3)}:${tz.slice(3)}`;
}

/** Test/observation codes: CE/CWE `id^text^system`, falling back to the alternate triplet. */
interface Coded {
  code: string;
  name: string;
  system: string;
}

export interface ParsedHl7 {
  header: Hl7Header;
  result: NormalisedResult;
}

/**
 * Parses one decoded-from-bytes frame. Throws {@link Hl7Rejection} for
 * anything that is not a readable, supported ORU^R01.
 */
export function parseOru(
  bytes: Uint8Array,
  opts: { fallbackCharset: string; criticalFlags: ReadonlySet<string> },
): ParsedHl7 {
  // Some senders put line breaks or spaces before MSH inside the frame.
  let skip = 0;
  while (skip < bytes.length && [0x0a, 0x0d, 0x20, 0x09].includes(bytes[skip]!)) skip++;
  bytes = bytes.subarray(skip);
  const header = readHeader(bytes, opts.fallbackCharset);
  if (!rawMsh(bytes).length || !Buffer.from(bytes).subarray(0, 3).equals(Buffer.from('MSH'))) {
    throw new Hl7Rejection('AE', '100', 'the frame does not start with an MSH segment');
  }
  if (!header.charset) {
    throw new Hl7Rejection('AE', '102', 'unknown character set in MSH-18');
  }
  let text: string;
  try {
    text = iconv.decode(Buffer.from(bytes), header.charset);
  } catch {
    throw new Hl7Rejection('AE', '102', 'the frame cannot be decoded');
  }
  text = text
    .replace(/\r\n|\n\r|\n/g, '\r')
    .replace(/\r+/g, '\r')
    .replace(/\r$/, '');
  let msg: Hl7Message;
  try {
    msg = Hl7Message.parse(text);
  } catch {
    throw new Hl7Rejection('AE', '100', 'the message cannot be parsed');
  }
  const ctx = msg.context;
  const delim = {
    field: ctx.fieldSeparator,
    comp: ctx.componentSeparator,
    rep: ctx.repetitionSeparator,
    esc: ctx.escapeCharacter,
    sub: ctx.subcomponentSeparator,
  };
  const clean = (v: string | undefined): string => {
    if (v === undefined || v === '""') return '';
    return unescapeHl7(v, delim, header.charset).trim();
  };
  const firstSub = (v: string | undefined): string => clean((v ?? '').split(delim.sub)[0]);

  const [type, trigger] = header.messageType.split(delim.comp);
  if (!header.controlId) throw new Hl7Rejection('AE', '101', 'MSH-10 is missing');
  if (type !== 'ORU' || trigger !== 'R01') {
    throw new Hl7Rejection('AR', '200', 'only ORU^R01 is accepted');
  }
  if (!(SUPPORTED_VERSIONS as readonly string[]).includes(header.version)) {
    throw new Hl7Rejection('AR', '203', 'unsupported HL7 version');
  }

  /** Repetitions of a field as component arrays (empty repetitions dropped). */
  const reps = (seg: Hl7Segment | undefined, n: number): string[][] =>
    (seg?.getField(n)?.components ?? []).filter((r) => r.some((c) => c !== '' && c !== '""'));

  const pid = msg.getSegment('PID');
  if (!pid) throw new Hl7Rejection('AE', '100', 'the PID segment is missing');
  const identifiers: PatientIdentifier[] = [];
  for (const cx of reps(pid, 3)) {
    const value = firstSub(cx[0]);
    if (!value) continue;
    const hd = (cx[3] ?? '').split(delim.sub);
    const system = clean(hd[0]) || clean(hd[1]);
    identifiers.push({ value, system, type: firstSub(cx[4]) });
  }
  if (identifiers.length === 0) throw new Hl7Rejection('AE', '101', 'PID-3 has no identifier');
  const xpn = reps(pid, 5)[0] ?? [];
  const name: PersonName = {
    family: firstSub(xpn[0]),
    given: firstSub(xpn[1]),
    middle: firstSub(xpn[2]),
  };
  const birthDate = hl7Time(clean(pid.getField(7)?.components[0]?.[0]))?.slice(0, 10) ?? null;

  const xcn = (seg: Hl7Segment | undefined, n: number): ClinicianRef[] =>
    reps(seg, n)
      .map((c) => {
        const hd = (c[8] ?? '').split(delim.sub);
        return {
          id: firstSub(c[0]),
          system: clean(hd[0]) || clean(hd[1]),
          family: firstSub(c[1]),
          given: firstSub(c[2]),
        };
      })
      .filter((c) => c.id || c.family);

  const ordering: ClinicianRef[] = [];
  const addOrdering = (list: ClinicianRef[]) => {
    for (const c of list)
      if (!ordering.some((o) => o.id === c.id && o.system === c.system && o.family === c.family))
        ordering.push(c);
  };
  const coded = (c: string[] | undefined): Coded => {
    const code = firstSub(c?.[0]);
    const text = firstSub(c?.[1]);
    const system = firstSub(c?.[2]);
    if (code || text) return { code, name: text, system };
    return { code: firstSub(c?.[3]), name: firstSub(c?.[4]), system: firstSub(c?.[5]) };
  };

  const pv1 = msg.getSegment('PV1');
  const pl = pv1?.getField(3)?.components[0] ?? [];
  const unitHints = [pl[0], pl[3]].map((v) => firstSub(v)).filter((v) => v.length > 0);

  let test: Coded | null = null;
  let observedAt: string | null = null;
  let current: Coded | null = null;
  const observations: LabObservation[] = [];
  let orc: Hl7Segment | undefined;
  for (const seg of msg.segments) {
    if (seg.name === 'ORC') {
      orc = seg;
      addOrdering(xcn(seg, 12));
    } else if (seg.name === 'OBR') {
      current = coded(seg.getField(4)?.components[0]);
      if (!current.code && !current.name) throw new Hl7Rejection('AE', '101', 'OBR-4 is missing');
      test ??= current;
      observedAt ??= hl7Time(clean(seg.getField(7)?.components[0]?.[0]));
      addOrdering(xcn(seg, 16));
      if (orc) addOrdering(xcn(orc, 12));
    } else if (seg.name === 'OBX') {
      if (!current) throw new Hl7Rejection('AE', '100', 'OBX before any OBR');
      const id = coded(seg.getField(3)?.components[0]);
      if (!id.code && !id.name) throw new Hl7Rejection('AE', '101', 'OBX-3 is missing');
      const valueType = clean(seg.getField(2)?.components[0]?.[0]);
      const values = reps(seg, 5).map((r) =>
        valueType === 'CE' || valueType === 'CWE'
          ? clean(r[1]) || clean(r[0])
          : r.map((c) => clean(c)).join(valueType === 'SN' ? '' : ' '),
      );
      const flags = reps(seg, 8)
        .map((r) => clean(r[0]))
        .filter((f) => f.length > 0);
      const units = coded(seg.getField(6)?.components[0]);
      observations.push({
        code: id.code,
        name: id.name,
        system: id.system,
        orderCode: current.code,
        valueType,
        value: values.join('; '),
        units: units.code || units.name,
        referenceRange: clean(seg.getField(7)?.components[0]?.[0]),
        flags,
        critical: flags.some((f) => opts.criticalFlags.has(f.toUpperCase())),
        status: clean(seg.getField(11)?.components[0]?.[0]),
        observedAt: hl7Time(clean(seg.getField(14)?.components[0]?.[0])),
      });
    }
    // Z-segments and everything else: ignored.
  }
  if (!test) throw new Hl7Rejection('AE', '100', 'the OBR segment is missing');
  if (observations.length === 0) throw new Hl7Rejection('AE', '100', 'no OBX segment');

  const sender = [header.sendingApp, header.sendingFacility]
    .map((v) => v.split(delim.comp)[0])
    .join('|');
  return {
    header,
    result: {
      source: 'hl7v2',
      sender,
      controlId: header.controlId,
      messageType: 'ORU^R01',
      patient: { identifiers, name, birthDate },
      ordering,
      unitHints,
      test: { code: test.code, name: test.name, system: test.system },
      observedAt: observedAt ?? observations.find((o) => o.observedAt)?.observedAt ?? null,
      observations,
      critical: observations.some((o) => o.critical),
      abnormal: observations.some((o) => o.flags.some((f) => f.toUpperCase() !== 'N')),
      digest: createHash('sha256').update(bytes).digest('hex'),
    },
  };
}

/** Escapes a value for the ACK (standard delimiters). */
function esc(v: string): string {
  return v.replace(
    /[\\|^~&]/g,
    (c) => ({ '\\': '\\E\\', '|': '\\F\\', '^': '\\S\\', '~': '\\R\\', '&': '\\T\\' })[c]!,
  );
}

/** Re-encodes a raw field of the sender (its delimiters) with the standard ones. */
function mirror(raw: string, h: Hl7Header): string {
  const comp = h.encodingChars[0] ?? '^';
  return raw
    .split(comp)
    .map((c) => esc(c))
    .join('^');
}

/**
 * The ACK for a frame: MSH mirrors sender and receiver, MSA-2 echoes MSH-10,
 * an ERR segment explains AE/AR. Encoded in the charset of the message.
 */
export function buildAck(
  h: Hl7Header,
  ack: { code: 'AA' | 'AE' | 'AR'; errorCode?: string; text?: string },
  now: Date,
  ackId: string,
): Buffer {
  const ts = now
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, '');
  const version = (SUPPORTED_VERSIONS as readonly string[]).includes(h.version)
    ? h.version
    : '2.5.1';
  const msh = [
    'MSH',
    '^~\\&',
    mirror(h.receivingApp, h),
    mirror(h.receivingFacility, h),
    mirror(h.sendingApp, h),
    mirror(h.sendingFacility, h),
    ts,
    '',
    'ACK^R01^ACK',
    ackId,
    esc(h.processingId || 'P'),
    version,
  ];
  if (h.charsetName && h.charset) msh.push('', '', '', '', '', esc(h.charsetName));
  const segments = [msh.join('|'), `MSA|${ack.code}|${esc(h.controlId)}`];
  if (ack.code !== 'AA') {
    segments.push(`ERR|||${ack.errorCode ?? '207'}^${esc(ack.text ?? '')}^HL70357|E`);
  }
  return iconv.encode(segments.join('\r') + '\r', h.charset || 'utf-8');
}
