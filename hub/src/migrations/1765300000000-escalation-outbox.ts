import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/*
 * The outbox of escalation's external sends (ADR 0021, 2026-11-28): a row per
 * e-mail/SMS step, written with the step, marked with its outcome. Pending
 * rows are found by (state, claimed_until): a hub sends again what a crashed
 * one left, once its claim has run out.
 */

const str = (name: string, length: number, isNullable = false) => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable,
});

export class EscalationOutbox1765300000000 implements MigrationInterface {
  name = 'EscalationOutbox1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'escalation_outbox',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('escalation_id', 36),
          { name: 'step', type: 'integer' },
          str('channel', 10),
          { name: 'targets', type: 'text' },
          str('state', 10),
          { name: 'attempts', type: 'integer', default: 0 },
          str('claimed_by', 36, true),
          str('claimed_until', 30, true),
          str('created_at', 30),
          str('done_at', 30, true),
        ],
        indices: [
          new TableIndex({
            name: 'idx_escalation_outbox_pending',
            columnNames: ['state', 'claimed_until'],
          }),
          new TableIndex({
            name: 'idx_escalation_outbox_escalation',
            columnNames: ['escalation_id'],
          }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('escalation_outbox');
  }
}
