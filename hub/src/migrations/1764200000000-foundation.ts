import {
  Table,
  TableIndex,
  type MigrationInterface,
  type QueryRunner,
  type TableColumnOptions,
} from 'typeorm';

/*
 * The foundation schema: directory, identity, audit. Written with TypeORM's
 * portable Table API so one migration serves SQLite and PostgreSQL (ADR 0003).
 * Times are UTC ISO 8601 text (`2026-11-27T18:00:00.000Z`), which sorts as time.
 */

const id = (name = 'id'): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: '36',
  isPrimary: true,
});
const ref = (name: string, nullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: '36',
  isNullable: nullable,
});
const text = (name: string, length: number, nullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable: nullable,
});
const time = (name: string, nullable = false): TableColumnOptions => text(name, 30, nullable);
const fk = (column: string, table: string, onDelete: 'CASCADE' | 'RESTRICT' = 'RESTRICT') => ({
  columnNames: [column],
  referencedTableName: table,
  referencedColumnNames: ['id'],
  onDelete,
});

export class Foundation1764200000000 implements MigrationInterface {
  name = 'Foundation1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'org_unit',
        columns: [
          id(),
          text('kind', 16),
          text('name', 200),
          { ...text('code', 64, true), isUnique: true },
          ref('parent_id', true),
          text('time_zone', 64),
          { name: 'active', type: 'boolean', default: true },
          time('created_at'),
          time('updated_at'),
        ],
        foreignKeys: [fk('parent_id', 'org_unit')],
        indices: [new TableIndex({ columnNames: ['parent_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'staff',
        columns: [
          id(),
          { ...text('login', 64), isUnique: true },
          text('last_name', 80),
          text('first_name', 80),
          text('middle_name', 80, true),
          text('position', 200, true),
          text('specialty', 200, true),
          text('category', 20),
          text('phone', 32, true),
          text('extension', 10, true),
          text('email', 200, true),
          { name: 'active', type: 'boolean', default: true },
          text('sort_key', 300),
          time('created_at'),
          time('updated_at'),
          time('deactivated_at', true),
        ],
        indices: [new TableIndex({ columnNames: ['sort_key'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'staff_unit',
        columns: [
          { ...ref('user_id'), isPrimary: true },
          { ...ref('unit_id'), isPrimary: true },
        ],
        foreignKeys: [fk('user_id', 'staff', 'CASCADE'), fk('unit_id', 'org_unit')],
        indices: [new TableIndex({ columnNames: ['unit_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'staff_external_id',
        columns: [
          { ...text('system', 200), isPrimary: true },
          { ...text('value', 200), isPrimary: true },
          ref('user_id'),
        ],
        foreignKeys: [fk('user_id', 'staff', 'CASCADE')],
        indices: [new TableIndex({ columnNames: ['user_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'staff_role',
        columns: [
          { ...ref('user_id'), isPrimary: true },
          { ...text('role', 32), isPrimary: true },
        ],
        foreignKeys: [fk('user_id', 'staff', 'CASCADE')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'staff_search_token',
        columns: [
          { ...text('token', 200), isPrimary: true },
          { ...ref('user_id'), isPrimary: true },
          { ...text('field', 16), isPrimary: true },
        ],
        foreignKeys: [fk('user_id', 'staff', 'CASCADE')],
        indices: [new TableIndex({ columnNames: ['user_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'credential',
        columns: [
          { ...ref('user_id'), isPrimary: true },
          text('password_hash', 200),
          time('changed_at'),
        ],
        foreignKeys: [fk('user_id', 'staff', 'CASCADE')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'device',
        columns: [
          id(),
          ref('user_id'),
          text('name', 120),
          text('platform', 60, true),
          time('created_at'),
          time('last_seen_at'),
        ],
        foreignKeys: [fk('user_id', 'staff', 'CASCADE')],
        indices: [new TableIndex({ columnNames: ['user_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'auth_session',
        columns: [
          id(),
          ref('user_id'),
          ref('device_id'),
          { ...text('token_hash', 64), isUnique: true },
          time('created_at'),
          time('last_seen_at'),
          time('expires_at'),
          time('revoked_at', true),
          text('revoked_reason', 32, true),
          text('ip', 64, true),
          text('user_agent', 300, true),
        ],
        foreignKeys: [fk('user_id', 'staff', 'CASCADE'), fk('device_id', 'device', 'CASCADE')],
        indices: [new TableIndex({ columnNames: ['user_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'auth_throttle',
        columns: [
          { ...text('key', 300), isPrimary: true },
          { name: 'failures', type: 'integer', default: 0 },
          time('window_started_at'),
          time('locked_until', true),
          { name: 'lockouts', type: 'integer', default: 0 },
          time('updated_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'audit_log',
        columns: [
          { name: 'seq', type: 'bigint', isPrimary: true },
          time('at'),
          ref('actor_id', true),
          ref('device_id', true),
          text('action', 64),
          text('target_type', 64, true),
          text('target_id', 200, true),
          text('outcome', 16),
          { name: 'details', type: 'text' },
          ref('request_id', true),
          text('prev_hash', 64),
          text('hash', 64),
        ],
        indices: [
          new TableIndex({ columnNames: ['actor_id', 'seq'] }),
          new TableIndex({ columnNames: ['target_type', 'target_id', 'seq'] }),
          new TableIndex({ columnNames: ['at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'audit_head',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true },
          { name: 'seq', type: 'bigint' },
          text('hash', 64),
        ],
      }),
    );
    await q.query(`INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '${'0'.repeat(64)}')`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'audit_head',
      'audit_log',
      'auth_throttle',
      'auth_session',
      'device',
      'credential',
      'staff_search_token',
      'staff_role',
      'staff_external_id',
      'staff_unit',
      'staff',
      'org_unit',
    ]) {
      await q.dropTable(table);
    }
  }
}
