import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/*
 * Attachments (MSG-10): one row per upload; the encrypted bytes live in the
 * data directory, not in the database. No foreign keys to messaging's tables:
 * an upload exists before its message, and the files module owns its table
 * alone. `(message_id, created_at)` serves both "attachments of these
 * messages" and the purge of unclaimed uploads (message_id IS NULL).
 */

const str = (name: string, length: number, isNullable = false) => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable,
});

export class Files1764500000000 implements MigrationInterface {
  name = 'Files1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'attachment',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('conversation_id', 36),
          str('uploader_id', 36),
          str('message_id', 36, true),
          str('name', 255),
          str('content_type', 100),
          { name: 'size', type: 'bigint', isNullable: false },
          str('sha256', 64),
          str('storage_key', 80),
          str('created_at', 30),
        ],
        indices: [
          new TableIndex({ name: 'idx_attachment_conversation', columnNames: ['conversation_id'] }),
          new TableIndex({
            name: 'idx_attachment_message',
            columnNames: ['message_id', 'created_at'],
          }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('attachment');
  }
}
