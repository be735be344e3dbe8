import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/*
 * Durable timers (ADR 0019): every deadline is a row. `state` moves from
 * `scheduled` to `fired`, `cancelled` or `failed` exactly once; the pending
 * rows are found by (state, due_at), a subject's timers by (kind, key).
 */

const str = (name: string, length: number, isNullable = false) => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable,
});

export class DurableTimers1764900000000 implements MigrationInterface {
  name = 'DurableTimers1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'durable_timer',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('kind', 60),
          str('key', 200),
          str('due_at', 30),
          { name: 'payload', type: 'text' },
          str('state', 12),
          { name: 'attempts', type: 'integer', default: 0 },
          str('last_error', 500, true),
          str('created_at', 30),
          str('fired_at', 30, true),
        ],
        indices: [
          new TableIndex({ name: 'idx_durable_timer_pending', columnNames: ['state', 'due_at'] }),
          new TableIndex({ name: 'idx_durable_timer_subject', columnNames: ['kind', 'key'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('durable_timer');
  }
}
