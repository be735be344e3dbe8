/**
 * The one shape every patient-context adapter produces (URL / command line,
 * FHIRcast, loopback HTTP) and the UI consumes. Validated wherever it crosses
 * a boundary (IPC, adapters' output).
 */
import { z } from 'zod';

export const PATIENT_CONTEXT_SOURCES = ['url', 'fhircast', 'loopback', 'manual'] as const;
export type PatientContextSource = (typeof PATIENT_CONTEXT_SOURCES)[number];

const text = (max: number) => z.string().trim().min(1).max(max);

export const patientContextSchema = z
  .object({
    /** Identifier system (URI or OID), e.g. `urn:oid:1.2.643.5.1.13.13.12.2.77.7973` or a MIS-local URI. */
    system: text(512),
    /** Identifier value within the system (medical record number). */
    value: text(128),
    /** Display label (name / bed) as the MIS sent it; shown only in the UI, never logged. */
    display: text(256).optional(),
    /** Encounter identifier when the MIS sent one. */
    encounter: z
      .object({ system: text(512).optional(), value: text(128) })
      .strict()
      .optional(),
    source: z.enum(PATIENT_CONTEXT_SOURCES),
    /** ISO 8601 time the context was set. */
    at: z.string().datetime({ offset: true }),
  })
  .strict();
export type PatientContext = z.infer<typeof patientContextSchema>;

/** Whether the client is in step with the MIS: `lost` shows the "context lost / out of sync" state. */
export const CONTEXT_STATES = ['none', 'active', 'lost'] as const;
export type ContextState = (typeof CONTEXT_STATES)[number];

export interface PatientContextUpdate {
  state: ContextState;
  /** Present when state is `active`; the last known patient may be kept when `lost`. */
  context: PatientContext | null;
  /** Short machine reason for `lost` (e.g. `fhircast.disconnected`). */
  reason?: string;
}

/**
 * Whether two contexts name the same patient, label and encounter (the
 * source and time are ignored): used to publish only real changes.
 */
export function samePatientContext(a: PatientContext | null, b: PatientContext | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.system === b.system &&
    a.value === b.value &&
    a.display === b.display &&
    a.encounter?.system === b.encounter?.system &&
    a.encounter?.value === b.encounter?.value
  );
}
