import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/*
 * Lab results (CTX-5, ADR 0018): one row per accepted HL7 v2 ORU^R01 or FHIR
 * submission, observations and identifiers as JSON text (portable), and one
 * row per patient identifier for the patient's feed. `dedupe_key` is unique:
 * the same MSH-10 from the same sender is stored once, whatever the race.
 */

const str = (name: string, length: number, isNullable = false) => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable,
});

export class Results1764800000000 implements MigrationInterface {
  name = 'Results1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'lab_result',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('source', 10),
          str('sender', 400),
          str('control_id', 200),
          { ...str('dedupe_key', 64), isUnique: true },
          str('received_at', 30),
          str('message_type', 20),
          { name: 'patient_ids', type: 'text' },
          { name: 'patient_name', type: 'text' },
          str('birth_date', 10, true),
          { name: 'ordering', type: 'text' },
          { name: 'unit_hints', type: 'text' },
          str('test_code', 100),
          str('test_name', 255),
          str('test_system', 200),
          str('observed_at', 30, true),
          { name: 'observations', type: 'text' },
          { name: 'critical', type: 'boolean' },
          { name: 'abnormal', type: 'boolean' },
          str('digest', 64),
        ],
        indices: [
          new TableIndex({ name: 'idx_lab_result_received', columnNames: ['received_at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'lab_result_patient',
        columns: [
          { ...str('result_id', 36), isPrimary: true },
          { ...str('system', 200), isPrimary: true },
          { ...str('value', 200), isPrimary: true },
          str('received_at', 30),
        ],
        indices: [
          new TableIndex({
            name: 'idx_lab_result_patient_value',
            columnNames: ['value', 'system', 'received_at'],
          }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('lab_result_patient');
    await q.dropTable('lab_result');
  }
}
