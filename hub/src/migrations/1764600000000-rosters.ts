import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/*
 * Duty rosters, on-call, teams and presence (ROS-1..5, RTE-2, INB-3). No
 * foreign keys to the directory's tables: people and units are never deleted,
 * and the rosters module owns its tables alone. Shifts are found by
 * (role_id, start_at) and (user_id, start_at); pattern shifts by
 * (pattern_id, pattern_date) so re-expansion updates them in place.
 */

const str = (name: string, length: number, isNullable = false) => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable,
});
const txt = (name: string, isNullable = false) => ({ name, type: 'text', isNullable });
const bool = (name: string, dflt: boolean) => ({
  name,
  type: 'boolean',
  isNullable: false,
  default: dflt,
});

export class Rosters1764600000000 implements MigrationInterface {
  name = 'Rosters1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'duty_role',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('name', 200),
          str('unit_id', 36),
          str('time_zone', 64),
          str('fallback_kind', 8, true),
          str('fallback_id', 36, true),
          txt('notes', true),
          bool('swap_approval', false),
          bool('active', true),
          str('created_at', 30),
          str('updated_at', 30),
        ],
        indices: [new TableIndex({ name: 'idx_duty_role_unit', columnNames: ['unit_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'duty_shift',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('role_id', 36),
          str('user_id', 36),
          str('planned_user_id', 36),
          str('start_at', 30),
          str('end_at', 30),
          str('state', 12),
          str('source', 12),
          str('pattern_id', 36, true),
          str('pattern_date', 10, true),
          str('swap_id', 36, true),
          str('note', 500, true),
          str('created_at', 30),
          str('updated_at', 30),
        ],
        indices: [
          new TableIndex({ name: 'idx_duty_shift_role', columnNames: ['role_id', 'start_at'] }),
          new TableIndex({ name: 'idx_duty_shift_user', columnNames: ['user_id', 'start_at'] }),
          new TableIndex({
            name: 'idx_duty_shift_pattern',
            columnNames: ['pattern_id', 'pattern_date'],
          }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'duty_pattern',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('role_id', 36),
          str('name', 200),
          str('kind', 8),
          txt('definition'),
          str('created_at', 30),
        ],
        indices: [new TableIndex({ name: 'idx_duty_pattern_role', columnNames: ['role_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'duty_swap',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('kind', 16),
          str('shift_id', 36),
          str('counter_shift_id', 36, true),
          str('from_user_id', 36),
          str('to_user_id', 36),
          str('state', 12),
          bool('needs_approval', false),
          str('requested_by', 36),
          str('decided_by', 36, true),
          str('note', 500, true),
          str('created_at', 30),
          str('updated_at', 30),
        ],
        indices: [
          new TableIndex({ name: 'idx_duty_swap_shift', columnNames: ['shift_id'] }),
          new TableIndex({ name: 'idx_duty_swap_to', columnNames: ['to_user_id', 'state'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'roster_calendar',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('subject_kind', 8),
          str('subject_id', 36),
          str('token_hash', 64),
          str('created_at', 30),
          str('revoked_at', 30, true),
        ],
        indices: [
          new TableIndex({
            name: 'idx_roster_calendar_token',
            columnNames: ['token_hash'],
            isUnique: true,
          }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'roster_team',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('name', 200),
          str('kind', 8),
          txt('member_ids'),
          txt('role_ids'),
          str('unit_id', 36, true),
          bool('active', true),
          str('created_at', 30),
          str('updated_at', 30),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'presence_status',
        columns: [
          { ...str('user_id', 36), isPrimary: true },
          str('status', 12),
          str('until', 30),
          str('delegate_id', 36, true),
          str('note', 200, true),
          str('set_at', 30),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'presence_status',
      'roster_team',
      'roster_calendar',
      'duty_swap',
      'duty_pattern',
      'duty_shift',
      'duty_role',
    ])
      await q.dropTable(t);
  }
}
