/**
 * Small pieces shared by the adapters: the result type, the logger and timer
 * seams, and the text checks every outside string goes through.
 */
import { patientContextSchema, type PatientContext } from '../common/patient-context.js';

/** Outcome of turning outside input into a context: never thrown, always returned. */
export type ParseResult = { ok: true; context: PatientContext } | { ok: false; reason: string };

/** The logger every adapter receives. Objects carry reasons and counts, never patient data. */
export interface ContextLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Timer seam so lease renewal and reconnect backoff are driven by tests without sleeping. */
export interface Scheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending renewal or retry must never keep the process alive on its own.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/* eslint-disable no-control-regex -- these patterns exist to find control characters */
/** C0 controls, DEL and C1 controls. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/* eslint-enable no-control-regex */
/** Bidirectional overrides/isolates: they can make a label read as another patient. */
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
/** Lone surrogates cannot be shown or stored faithfully. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a decoded field is unusable, or null when it is fine. */
export function textProblem(value: string): string | null {
  if (CONTROL.test(value)) return 'control_char';
  if (BIDI.test(value)) return 'bidi_char';
  if (LONE_SURROGATE.test(value)) return 'bad_encoding';
  return null;
}

/** Fields an adapter has extracted, before the source and time are added. */
export interface ContextFields {
  system: string;
  value: string;
  display?: string | undefined;
  encounter?: { system?: string | undefined; value: string } | undefined;
}

/**
 * Checks every field's text, builds the context and validates it with the
 * shared schema. `prefix` names the adapter in the reason (`url`, `argv`, …).
 */
export function buildContext(
  prefix: string,
  fields: ContextFields,
  source: PatientContext['source'],
  at: Date,
): ParseResult {
  const texts = [
    fields.system,
    fields.value,
    fields.display,
    fields.encounter?.system,
    fields.encounter?.value,
  ];
  for (const t of texts) {
    if (t === undefined) continue;
    const problem = textProblem(t);
    if (problem) return { ok: false, reason: `${prefix}.${problem}` };
  }
  const candidate: Record<string, unknown> = {
    system: fields.system,
    value: fields.value,
    source,
    at: at.toISOString(),
  };
  if (fields.display !== undefined && fields.display.trim() !== '') {
    candidate.display = fields.display;
  }
  if (fields.encounter) {
    const enc: Record<string, unknown> = { value: fields.encounter.value };
    if (fields.encounter.system !== undefined) enc.system = fields.encounter.system;
    candidate.encounter = enc;
  }
  const parsed = patientContextSchema.safeParse(candidate);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.') ?? 'context';
    return { ok: false, reason: `${prefix}.invalid_${field.replace(/\./g, '_')}` };
  }
  return { ok: true, context: parsed.data };
}
