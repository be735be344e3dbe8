/**
 * How one FHIRcast event moves the context: a pure function of the event kind,
 * its context entries, the patient now shown and the event time. Returns the
 * next update, or a machine reason when the event is not applied.
 *
 * - `Patient-open` sets the patient (and its encounter when one is sent).
 * - `Encounter-open` sets patient and encounter; without a patient it keeps
 *   the one already open.
 * - `Encounter-close` drops the encounter and keeps the patient: the chart
 *   stays open until `Patient-close`.
 * - `Patient-close` clears the context when it names the shown patient (or no
 *   patient at all); the close of another patient is ignored.
 * - `userlogout` / `userhibernate` clear the context.
 */
import type { PatientContext, PatientContextUpdate } from '../common/patient-context.js';
import { buildContext } from './common.js';
import {
  encounterOf,
  patientFromContext,
  type ContextEntry,
  type EventKind,
  type IdentifierPolicy,
} from './fhircast-frames.js';

export type StateEvent = Exclude<EventKind, 'heartbeat' | 'syncerror'>;

export function nextState(
  kind: StateEvent,
  entries: ContextEntry[],
  current: PatientContext | null,
  at: Date,
  policy: IdentifierPolicy,
): PatientContextUpdate | { reason: string } {
  switch (kind) {
    case 'logout':
      return { state: 'none', context: null };
    case 'patient-open':
    case 'encounter-open': {
      let fields = patientFromContext(entries, policy);
      if ('reason' in fields) {
        if (kind !== 'encounter-open' || fields.reason !== 'fhircast.no_patient' || !current) {
          return fields;
        }
        const { system, value, display } = current;
        fields = { system, value, display, encounter: encounterOf(entries) };
      }
      if (kind === 'encounter-open' && !fields.encounter)
        return { reason: 'fhircast.no_encounter' };
      const built = buildContext('fhircast', fields, 'fhircast', at);
      return built.ok ? { state: 'active', context: built.context } : { reason: built.reason };
    }
    case 'patient-close': {
      if (!current) return { state: 'none', context: null };
      const closing = patientFromContext(entries, policy);
      if ('reason' in closing || sameId(closing, current)) return { state: 'none', context: null };
      return { reason: 'fhircast.close_mismatch' };
    }
    case 'encounter-close': {
      if (!current) return { state: 'none', context: null };
      const closing = patientFromContext(entries, policy);
      if (!('reason' in closing) && !sameId(closing, current)) {
        return { reason: 'fhircast.close_mismatch' };
      }
      const { encounter: _closed, ...rest } = current;
      return { state: 'active', context: { ...rest, at: at.toISOString() } };
    }
  }
}

function sameId(a: { system: string; value: string }, b: PatientContext): boolean {
  return a.system === b.system && a.value.trim() === b.value;
}
