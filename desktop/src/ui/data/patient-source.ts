/**
 * Patient context in a plain browser (no Electron bridge): parsed from the URL
 * (`?patient=<system>|<value>&display=…` or `#patient?system=…&value=…&display=…`)
 * and from `postMessage` frames of an embedding MIS page. Pure parsing here
 * (URLSearchParams only); the store wires the listeners.
 */
import { patientContextSchema, type PatientContext } from '../../common/patient-context.js';

/** What a URL or a frame said: a patient, "no patient", or something unusable. */
export type PatientInput =
  | { kind: 'patient'; context: PatientContext }
  | { kind: 'clear' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'absent' };

function build(
  fields: { system?: string | null; value?: string | null; display?: string | null; encounter?: string | null },
  source: PatientContext['source'],
  at: string,
): PatientInput {
  const candidate: Record<string, unknown> = {
    system: fields.system ?? undefined,
    value: fields.value ?? undefined,
    source,
    at,
  };
  if (fields.display) candidate.display = fields.display;
  if (fields.encounter) candidate.encounter = { value: fields.encounter };
  const parsed = patientContextSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: 'invalid', reason: `patient.${issue?.path.join('.') || 'invalid'}` };
  }
  return { kind: 'patient', context: parsed.data };
}

/** Reads the patient from a location's `search` and `hash`; the hash wins. */
export function patientFromLocation(search: string, hash: string, at: string): PatientInput {
  const h = hash.replace(/^#/, '');
  if (h === 'patient-close' || h === 'patient') return { kind: 'clear' };
  if (h.startsWith('patient?')) {
    const p = new URLSearchParams(h.slice('patient?'.length));
    return build(
      {
        system: p.get('system'),
        value: p.get('value'),
        display: p.get('display'),
        encounter: p.get('encounter'),
      },
      'url',
      at,
    );
  }
  const q = new URLSearchParams(search);
  const token = q.get('patient');
  if (token === null) return { kind: 'absent' };
  const bar = token.indexOf('|');
  if (bar <= 0) return { kind: 'invalid', reason: 'patient.format' };
  return build(
    {
      system: token.slice(0, bar),
      value: token.slice(bar + 1),
      display: q.get('display'),
      encounter: q.get('encounter'),
    },
    'url',
    at,
  );
}

/**
 * A `postMessage` frame from an embedding MIS page:
 * `{type: 'konsilium.patient', patient: {system, value, display?, encounter?}}`,
 * `{type: 'konsilium.patient-close'}`. Anything else from an allowed origin is
 * `invalid`; frames of other types (`absent`) are ignored.
 */
export function patientFromFrame(data: unknown, at: string): PatientInput {
  if (typeof data !== 'object' || data === null) return { kind: 'absent' };
  const frame = data as Record<string, unknown>;
  if (frame.type === 'konsilium.patient-close') return { kind: 'clear' };
  if (frame.type !== 'konsilium.patient') return { kind: 'absent' };
  const p = frame.patient;
  if (typeof p !== 'object' || p === null) return { kind: 'invalid', reason: 'patient.missing' };
  const f = p as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const enc = f.encounter;
  return build(
    {
      system: str(f.system),
      value: str(f.value),
      display: str(f.display),
      encounter:
        typeof enc === 'string'
          ? enc
          : typeof enc === 'object' && enc !== null
            ? str((enc as Record<string, unknown>).value)
            : null,
    },
    'url',
    at,
  );
}

/** Whether a frame's origin may set the patient: the page's own origin or an allowed one. */
export function originAllowed(origin: string, own: string, allowed: readonly string[]): boolean {
  if (origin === own) return true;
  return allowed.some((a) => a === origin);
}
