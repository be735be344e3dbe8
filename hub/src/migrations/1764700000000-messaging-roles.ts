import type { MigrationInterface, QueryRunner } from 'typeorm';

/*
 * Role addressing (RTE-1): a direct conversation with a duty role keeps the
 * role's id; each message sent into it keeps to whom it was resolved at send
 * time (JSON: people, source, reason, later hand-offs). Plain `ALTER TABLE …
 * ADD COLUMN` of nullable columns is the same on SQLite and PostgreSQL and
 * keeps existing rows in place (no table rebuild).
 */
export class MessagingRoles1764700000000 implements MigrationInterface {
  name = 'MessagingRoles1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE conversation ADD COLUMN role_id varchar(36) NULL');
    await q.query('CREATE INDEX idx_conversation_role ON conversation (role_id)');
    await q.query('ALTER TABLE message ADD COLUMN resolution text NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE message DROP COLUMN resolution');
    await q.query('DROP INDEX idx_conversation_role');
    await q.query('ALTER TABLE conversation DROP COLUMN role_id');
  }
}
