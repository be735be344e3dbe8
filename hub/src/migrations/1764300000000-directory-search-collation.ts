import type { MigrationInterface, QueryRunner } from 'typeorm';

/*
 * PostgreSQL only: the directory's SQL search compares tokens in binary ("C")
 * collation so `token >= w AND token < next(w)` is exactly a prefix match
 * whatever the database collation. Such a range can use only an index of the
 * same collation, hence this one. SQLite compares binary already (the
 * primary key serves), so nothing to do there.
 */
export class DirectorySearchCollation1764300000000 implements MigrationInterface {
  name = 'DirectorySearchCollation1764300000000';

  async up(q: QueryRunner): Promise<void> {
    if (q.connection.options.type !== 'postgres') return;
    await q.query(
      'CREATE INDEX "IDX_staff_search_token_token_c" ON staff_search_token (token COLLATE "C", field, user_id)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    if (q.connection.options.type !== 'postgres') return;
    await q.query('DROP INDEX "IDX_staff_search_token_token_c"');
  }
}
