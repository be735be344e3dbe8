import { z } from 'zod';

/**
 * Lab results (CTX-5) as the hub returns them: `GET /api/v1/results` (the
 * patient's feed) and `GET /api/v1/results/:id`. See docs/protocol.md.
 */

/** A patient identifier (HL7 PID-3 CX / FHIR Identifier). */
export interface PatientIdentifier {
  value: string;
  /** Assigning authority (CX-4) or FHIR `system`; empty when not given. */
  system: string;
  /** Identifier type code (CX-5, e.g. MR, PI); empty when not given. */
  type: string;
}

export interface PersonName {
  family: string;
  given: string;
  middle: string;
}

/** The ordering clinician as the sender identifies them (XCN / FHIR Practitioner). */
export interface ClinicianRef {
  id: string;
  /** Assigning authority (XCN-9) or identifier system. */
  system: string;
  family: string;
  given: string;
}

export interface LabObservation {
  code: string;
  name: string;
  system: string;
  /** Code of the order (OBR-4) this observation belongs to. */
  orderCode: string;
  /** OBX-2 (NM, ST, CE, SN …) or the FHIR value[x] kind. */
  valueType: string;
  value: string;
  units: string;
  referenceRange: string;
  /** OBX-8 abnormal flags / FHIR interpretation codes, as sent. */
  flags: string[];
  critical: boolean;
  /** OBX-11 / FHIR status. */
  status: string;
  observedAt: string | null;
}

/** One stored result (a whole ORU^R01 or FHIR submission). */
export interface LabResultView {
  id: string;
  source: 'hl7v2' | 'fhir';
  /** `app|facility` (HL7) or `fhir:<account id>`. */
  sender: string;
  /** MSH-10 or the FHIR identifier; duplicates share it. */
  controlId: string;
  messageType: string;
  receivedAt: string;
  patient: { identifiers: PatientIdentifier[]; name: PersonName; birthDate: string | null };
  ordering: ClinicianRef[];
  /** PV1-3 point of care / facility. */
  unitHints: string[];
  test: { code: string; name: string; system: string };
  observedAt: string | null;
  observations: LabObservation[];
  critical: boolean;
  abnormal: boolean;
  /** SHA-256 of the message as received. */
  digest: string;
}

/** Query of `GET /api/v1/results`. */
export const ResultsFeedQuery = z
  .object({
    patientSystem: z.string().max(200).optional(),
    patientValue: z.string().min(1).max(200),
    limit: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict();
export type ResultsFeedQuery = z.infer<typeof ResultsFeedQuery>;

/** Body of `GET /api/v1/results`. */
export interface ResultsFeed {
  items: LabResultView[];
}
