import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/*
 * Escalation (ADR 0021): policies, escalations (one per alerted message, with
 * the plan snapshot), everyone each escalation asked, the append-only timeline
 * and the duty-administrator role of a unit.
 */

const str = (name: string, length: number, isNullable = false) => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable,
});
const text = (name: string, isNullable = false) => ({ name, type: 'text', isNullable });

export class Escalation1765000000000 implements MigrationInterface {
  name = 'Escalation1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'escalation_policy',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('name', 200),
          str('unit_id', 36, true),
          text('match'),
          text('steps'),
          text('fail_safe'),
          str('created_at', 30),
          str('updated_at', 30),
        ],
        indices: [new TableIndex({ name: 'idx_escalation_policy_unit', columnNames: ['unit_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'escalation',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('message_id', 36),
          str('conversation_id', 36),
          str('unit_id', 36, true),
          str('kind', 20),
          str('priority', 10),
          str('state', 15),
          str('policy_id', 36, true),
          str('policy_name', 200),
          text('plan'),
          text('run'),
          text('subject', true),
          text('acknowledged', true),
          text('read_back', true),
          { name: 'version', type: 'integer', default: 0 },
          str('next_at', 30, true),
          str('created_at', 30),
          str('updated_at', 30),
        ],
        indices: [
          new TableIndex({
            name: 'idx_escalation_message',
            columnNames: ['message_id'],
            isUnique: true,
          }),
          new TableIndex({ name: 'idx_escalation_state', columnNames: ['state', 'created_at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'escalation_target',
        columns: [
          { ...str('escalation_id', 36), isPrimary: true },
          { ...str('user_id', 36), isPrimary: true },
        ],
        indices: [new TableIndex({ name: 'idx_escalation_target_user', columnNames: ['user_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'escalation_timeline',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('escalation_id', 36),
          { name: 'seq', type: 'integer' },
          str('at', 30),
          str('type', 20),
          text('entry'),
        ],
        indices: [
          new TableIndex({
            name: 'idx_escalation_timeline_seq',
            columnNames: ['escalation_id', 'seq'],
            isUnique: true,
          }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'escalation_duty_admin',
        columns: [
          { ...str('unit_id', 36), isPrimary: true },
          str('role_id', 36),
          str('updated_at', 30),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'escalation_duty_admin',
      'escalation_timeline',
      'escalation_target',
      'escalation',
      'escalation_policy',
    ])
      await q.dropTable(t);
  }
}
