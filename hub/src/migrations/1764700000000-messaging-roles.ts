import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/*
 * Role addressing (RTE-1): a direct conversation with a duty role keeps the
 * role's id; each message sent into it keeps to whom it was resolved at send
 * time (JSON: people, source, reason, later hand-offs).
 */
export class MessagingRoles1764700000000 implements MigrationInterface {
  name = 'MessagingRoles1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn(
      'conversation',
      new TableColumn({ name: 'role_id', type: 'varchar', length: '36', isNullable: true }),
    );
    await q.createIndex(
      'conversation',
      new TableIndex({ name: 'idx_conversation_role', columnNames: ['role_id'] }),
    );
    await q.addColumn(
      'message',
      new TableColumn({ name: 'resolution', type: 'text', isNullable: true }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('message', 'resolution');
    await q.dropIndex('conversation', 'idx_conversation_role');
    await q.dropColumn('conversation', 'role_id');
  }
}
