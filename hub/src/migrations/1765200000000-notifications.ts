import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/*
 * Notification policy (ESC-3, ESC-4; ADR 0023): policies per organisation or
 * unit, personal preferences, pushes waiting for a person (do-not-disturb
 * holds and digests) and the interruption log (fatigue metric, ADM-1).
 */

const str = (name: string, length: number, isNullable = false) => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable,
});

export class Notifications1765200000000 implements MigrationInterface {
  name = 'Notifications1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'notify_policy',
        columns: [
          { ...str('unit_id', 36), isPrimary: true },
          { name: 'rules', type: 'text' },
          { name: 'dnd_max_hold_seconds', type: 'integer' },
          { name: 'digest_interval_seconds', type: 'integer' },
          str('updated_at', 30),
          str('updated_by', 36, true),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'notify_preference',
        columns: [
          { ...str('user_id', 36), isPrimary: true },
          { name: 'preferences', type: 'text' },
          str('updated_at', 30),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'notify_pending',
        columns: [
          { ...str('user_id', 36), isPrimary: true },
          { ...str('message_id', 36), isPrimary: true },
          str('conversation_id', 36),
          str('priority', 16),
          str('reason', 16),
          { name: 'sound', type: 'boolean' },
          { name: 'repeat_until_ack', type: 'boolean' },
          str('created_at', 30),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'notify_interruption',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('user_id', 36),
          str('shift_key', 60),
          str('shift_start', 30),
          str('shift_end', 30, true),
          str('at', 30),
          str('priority', 16),
          str('kind', 16),
          { name: 'break_through', type: 'boolean' },
          str('message_id', 36, true),
        ],
        indices: [
          new TableIndex({ name: 'idx_notify_interruption_at', columnNames: ['at'] }),
          new TableIndex({
            name: 'idx_notify_interruption_user',
            columnNames: ['user_id', 'shift_key'],
          }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('notify_interruption');
    await q.dropTable('notify_pending');
    await q.dropTable('notify_preference');
    await q.dropTable('notify_policy');
  }
}
