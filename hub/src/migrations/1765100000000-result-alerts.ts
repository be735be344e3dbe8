import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { LAB_SENDER_ID, LAB_SENDER_LOGIN } from '../modules/alerting/index.js';

/*
 * Critical result alerts (CTX-5, ADR 0022): one `result_alert` row per
 * critical lab result, keyed by the result id, so a result opens one alert
 * whatever the retries, restarts or duplicate deliveries. The laboratory's
 * system sender is a staff record without a credential (it cannot sign in);
 * alert messages are authored by it. `lab_result(critical, received_at)` is
 * indexed for the start-up sweep of critical results that have no alert yet.
 */

const str = (name: string, length: number, isNullable = false) => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable,
});

export class ResultAlerts1765100000000 implements MigrationInterface {
  name = 'ResultAlerts1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'result_alert',
        columns: [
          { ...str('result_id', 36), isPrimary: true },
          str('state', 12),
          str('received_at', 30),
          str('rule', 20, true),
          str('unit_id', 36, true),
          str('role_id', 36, true),
          { name: 'targets', type: 'text', isNullable: true },
          str('conversation_id', 36, true),
          str('message_id', 36),
          str('alert_id', 36, true),
          { name: 'attempts', type: 'integer', default: 0 },
          str('last_error', 200, true),
          str('created_at', 30),
          str('opened_at', 30, true),
        ],
        indices: [new TableIndex({ name: 'idx_result_alert_state', columnNames: ['state'] })],
      }),
    );
    await q.createIndex(
      'lab_result',
      new TableIndex({ name: 'idx_lab_result_critical', columnNames: ['critical', 'received_at'] }),
    );
    const now = new Date().toISOString();
    const pg = q.connection.options.type === 'postgres';
    await q.query(
      `INSERT INTO staff (id, login, last_name, first_name, category, active, sort_key, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`.replace(/\$\d/g, (m) => (pg ? m : '?')),
      [
        LAB_SENDER_ID,
        LAB_SENDER_LOGIN,
        'Лаборатория',
        '',
        'other',
        pg ? true : 1,
        'лаборатория',
        now,
        now,
      ],
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      q.connection.options.type === 'postgres'
        ? 'DELETE FROM staff WHERE id = $1'
        : 'DELETE FROM staff WHERE id = ?',
      [LAB_SENDER_ID],
    );
    await q.dropIndex('lab_result', 'idx_lab_result_critical');
    await q.dropTable('result_alert');
  }
}
