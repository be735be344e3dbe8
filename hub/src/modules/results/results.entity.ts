import { EntitySchema } from 'typeorm';

/** One stored lab result (a whole ORU^R01 or FHIR submission). JSON columns are text. */
export interface LabResultRow {
  id: string;
  source: string;
  sender: string;
  controlId: string;
  /** SHA-256 of source, sender and control id: the duplicate key (unique). */
  dedupeKey: string;
  receivedAt: string;
  messageType: string;
  patientIds: string;
  patientName: string;
  birthDate: string | null;
  ordering: string;
  unitHints: string;
  testCode: string;
  testName: string;
  testSystem: string;
  observedAt: string | null;
  observations: string;
  critical: boolean;
  abnormal: boolean;
  digest: string;
}

/** One patient identifier of a result, for the patient's feed lookup. */
export interface LabResultPatientRow {
  resultId: string;
  system: string;
  value: string;
  receivedAt: string;
}

const v = (length: number, nullable = false, name?: string) => ({
  type: 'varchar' as const,
  length,
  nullable,
  ...(name ? { name } : {}),
});

export const LabResultEntity = new EntitySchema<LabResultRow>({
  name: 'LabResult',
  tableName: 'lab_result',
  columns: {
    id: { ...v(36), primary: true },
    source: v(10),
    sender: v(400),
    controlId: v(200, false, 'control_id'),
    dedupeKey: v(64, false, 'dedupe_key'),
    receivedAt: v(30, false, 'received_at'),
    messageType: v(20, false, 'message_type'),
    patientIds: { type: 'text', name: 'patient_ids' },
    patientName: { type: 'text', name: 'patient_name' },
    birthDate: v(10, true, 'birth_date'),
    ordering: { type: 'text' },
    unitHints: { type: 'text', name: 'unit_hints' },
    testCode: v(100, false, 'test_code'),
    testName: v(255, false, 'test_name'),
    testSystem: v(200, false, 'test_system'),
    observedAt: v(30, true, 'observed_at'),
    observations: { type: 'text' },
    critical: { type: 'boolean' },
    abnormal: { type: 'boolean' },
    digest: v(64),
  },
});

export const LabResultPatientEntity = new EntitySchema<LabResultPatientRow>({
  name: 'LabResultPatient',
  tableName: 'lab_result_patient',
  columns: {
    resultId: { ...v(36, false, 'result_id'), primary: true },
    system: { ...v(200), primary: true },
    value: { ...v(200), primary: true },
    receivedAt: v(30, false, 'received_at'),
  },
});

export const RESULTS_ENTITIES = [LabResultEntity, LabResultPatientEntity];
