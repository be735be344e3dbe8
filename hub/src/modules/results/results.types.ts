import type { EntityManager } from 'typeorm';
import type {
  ClinicianRef,
  LabObservation,
  LabResultView,
  PatientIdentifier,
  PersonName,
} from '@konsilium/shared';

export type { ClinicianRef, LabObservation, PatientIdentifier, PersonName };

/** A result in the hub's own shape, whatever it arrived as. */
export interface NormalisedResult {
  source: 'hl7v2' | 'fhir';
  /** `app|facility` (HL7) or the integration account (FHIR). */
  sender: string;
  /** MSH-10, or the FHIR resource's identifier/id; duplicates share it. */
  controlId: string;
  messageType: string;
  patient: { identifiers: PatientIdentifier[]; name: PersonName; birthDate: string | null };
  ordering: ClinicianRef[];
  /** PV1-3 point of care / facility, for routing to the patient's unit. */
  unitHints: string[];
  test: { code: string; name: string; system: string };
  observedAt: string | null;
  observations: LabObservation[];
  critical: boolean;
  abnormal: boolean;
  /** SHA-256 of the message as received (audit reference, no content). */
  digest: string;
}

/** A stored result as read back (the shape of the feed, `@konsilium/shared`). */
export type StoredResult = LabResultView;

/** Routing hints carried by the result events (no names). */
export interface ResultRoutingHints {
  ordering: { id: string; system: string }[];
  patient: { system: string; value: string }[];
  units: string[];
}

/** Payload of `results.received` / `results.critical_received` (after commit). */
export interface ResultEvent {
  resultId: string;
  source: 'hl7v2' | 'fhir';
  critical: boolean;
  testCode: string;
  routing: ResultRoutingHints;
}

/** The read port other modules use (escalation, alerts, patient context). */
export interface ResultsReader {
  getResult(id: string): Promise<StoredResult | null>;
  listPatientResults(
    identifier: { system?: string; value: string },
    limit?: number,
  ): Promise<StoredResult[]>;
  /** Critical results received at or after `since` (all when null), oldest first (alert sweep). */
  criticalSince(since: string | null, limit: number): Promise<{ id: string; receivedAt: string }[]>;
}

/** Outcome of storing one result. */
export interface IngestOutcome {
  id: string;
  duplicate: boolean;
  critical: boolean;
}

export type Tx = EntityManager;

declare module '../../platform/events.js' {
  interface BusEvents {
    /** A result was stored (any flag); emitted after commit, once per result. */
    'results.received': ResultEvent;
    /** A critical result was stored; emitted after commit, once per result. */
    'results.critical_received': ResultEvent;
  }
}
