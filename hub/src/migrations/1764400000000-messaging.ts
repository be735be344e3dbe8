import {
  Table,
  TableIndex,
  type MigrationInterface,
  type QueryRunner,
  type TableColumnOptions,
} from 'typeorm';

/*
 * Messaging: conversations, members with receipt watermarks, messages, typed
 * acknowledgements, reactions, quick replies, and the event stream. Every
 * event is stored once with a global `seq` shared by all users (DESIGN
 * invariant 3); a user's events are those of their conversations while they
 * were members, plus events addressed to them.
 */

const str = (name: string, length: number, nullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable: nullable,
});
const id = (name: string, nullable = false): TableColumnOptions => str(name, 36, nullable);
const time = (name: string, nullable = false): TableColumnOptions => str(name, 30, nullable);
const seq = (name: string, nullable = false, dflt?: number): TableColumnOptions => ({
  name,
  type: 'bigint',
  isNullable: nullable,
  ...(dflt !== undefined ? { default: dflt } : {}),
});
const cascade = (column: string, table: string) => ({
  columnNames: [column],
  referencedTableName: table,
  referencedColumnNames: ['id'],
  onDelete: 'CASCADE' as const,
});

export class Messaging1764400000000 implements MigrationInterface {
  name = 'Messaging1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'conversation',
        columns: [
          { ...id('id'), isPrimary: true },
          str('kind', 16),
          str('title', 200, true),
          str('topic', 1000, true),
          id('unit_id', true),
          { ...str('direct_key', 80, true), isUnique: true },
          str('patient_system', 200, true),
          str('patient_value', 200, true),
          str('patient_label', 200, true),
          { name: 'audience', type: 'text', isNullable: true },
          id('created_by'),
          time('created_at'),
          time('updated_at'),
          seq('last_seq', false, 0),
        ],
        indices: [new TableIndex({ columnNames: ['patient_system', 'patient_value'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'conversation_member',
        columns: [
          { ...id('conversation_id'), isPrimary: true },
          { ...id('user_id'), isPrimary: true },
          str('role', 16),
          time('joined_at'),
          seq('joined_seq'),
          time('left_at', true),
          seq('left_seq', true),
          seq('delivered_seq', false, 0),
          time('delivered_at', true),
          seq('read_seq', false, 0),
          time('read_at', true),
        ],
        foreignKeys: [cascade('conversation_id', 'conversation')],
        indices: [new TableIndex({ columnNames: ['user_id', 'conversation_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'message',
        columns: [
          { ...id('id'), isPrimary: true },
          id('conversation_id'),
          { ...seq('seq'), isUnique: true },
          id('author_id'),
          { name: 'text', type: 'text' },
          { name: 'fold', type: 'text' },
          str('priority', 16),
          str('kind', 16),
          id('reply_to', true),
          { name: 'forward', type: 'text', isNullable: true },
          { name: 'system', type: 'text', isNullable: true },
          time('created_at'),
          time('edited_at', true),
          time('recalled_at', true),
        ],
        foreignKeys: [cascade('conversation_id', 'conversation')],
        indices: [new TableIndex({ columnNames: ['conversation_id', 'seq'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'message_revision',
        columns: [
          { ...id('message_id'), isPrimary: true },
          { name: 'rev', type: 'integer', isPrimary: true },
          str('change', 16),
          { name: 'text', type: 'text' },
          id('changed_by'),
          time('changed_at'),
        ],
        foreignKeys: [cascade('message_id', 'message')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'message_ack',
        columns: [
          { ...id('message_id'), isPrimary: true },
          { ...id('user_id'), isPrimary: true },
          str('response', 16),
          { name: 'minutes', type: 'integer', isNullable: true },
          time('at'),
          seq('seq'),
        ],
        foreignKeys: [cascade('message_id', 'message')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'message_reaction',
        columns: [
          { ...id('message_id'), isPrimary: true },
          { ...id('user_id'), isPrimary: true },
          { ...str('emoji', 16), isPrimary: true },
          time('at'),
        ],
        foreignKeys: [cascade('message_id', 'message')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'quick_reply',
        columns: [
          { ...id('id'), isPrimary: true },
          id('user_id'),
          str('text', 1000),
          time('created_at'),
        ],
        indices: [new TableIndex({ columnNames: ['user_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'stream_event',
        columns: [
          { ...seq('seq'), isPrimary: true },
          id('conversation_id', true),
          id('user_id', true),
          str('type', 64),
          { name: 'data', type: 'text' },
          time('at'),
        ],
        indices: [
          new TableIndex({ columnNames: ['conversation_id', 'seq'] }),
          new TableIndex({ columnNames: ['user_id', 'seq'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'stream_head',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true },
          { name: 'seq', type: 'bigint' },
        ],
      }),
    );
    await q.query('INSERT INTO stream_head (id, seq) VALUES (1, 0)');
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'stream_head',
      'stream_event',
      'quick_reply',
      'message_reaction',
      'message_ack',
      'message_revision',
      'message',
      'conversation_member',
      'conversation',
    ]) {
      await q.dropTable(t);
    }
  }
}
