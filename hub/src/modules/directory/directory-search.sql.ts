import type { DatabaseKind, Database } from '../../platform/db/database.js';
import { prefixUpperBound } from './directory.text.js';
import type { SearchEngine, SearchHits, SearchPlan } from './directory-search.types.js';

/**
 * Search straight from the database, when `directorySearch` is `sql` or the
 * in-process index is not loaded. Each query word is an index range scan on
 * `staff_search_token`: `token >= w AND token < next(w)`, in binary ("C")
 * collation so the range is exactly the prefix on every database.
 */
export class SqlSearch implements SearchEngine {
  constructor(private readonly db: Database) {}

  async search(plan: SearchPlan): Promise<SearchHits> {
    const sql = new SqlBuilder(this.db.kind);
    const where: string[] = [];
    if (!plan.includeInactive) where.push(`s.active = ${sql.bool(true)}`);
    if (plan.category) where.push(`s.category = ${sql.p(plan.category)}`);
    if (plan.unitIds) {
      where.push(
        `s.id IN (SELECT su.user_id FROM staff_unit su WHERE su.unit_id IN (${[...plan.unitIds].map((u) => sql.p(u)).join(', ')}))`,
      );
    }
    for (const w of plan.words)
      where.push(
        `s.id IN (SELECT t.user_id FROM staff_search_token t WHERE ${sql.range('t.token', w)})`,
      );
    for (const [field, words] of [
      ['position', plan.positionWords],
      ['specialty', plan.specialtyWords],
    ] as const) {
      for (const w of words) {
        where.push(
          `s.id IN (SELECT t.user_id FROM staff_search_token t WHERE t.field = '${field}' AND ${sql.range('t.token', w)})`,
        );
      }
    }
    const filterParams = sql.params.length;
    let rank = '2';
    if (plan.words.length > 0) {
      const exact = plan.words.map((w) => sql.p(w)).join(', ');
      const prefix = plan.words.map((w) => `(${sql.range('r.token', w)})`).join(' OR ');
      rank =
        `CASE WHEN EXISTS (SELECT 1 FROM staff_search_token r WHERE r.user_id = s.id AND r.field = 'last' AND r.token IN (${exact})) THEN 0 ` +
        `WHEN EXISTS (SELECT 1 FROM staff_search_token r WHERE r.user_id = s.id AND r.field = 'last' AND (${prefix})) THEN 1 ELSE 2 END`;
    }
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const page =
      `SELECT s.id AS id, ${rank} AS match_rank, s.sort_key ${sql.collate} AS sk FROM staff s ${filter} ` +
      `ORDER BY match_rank, sk, s.id LIMIT ${plan.limit} OFFSET ${plan.offset}`;
    const [rows, counted] = await Promise.all([
      this.db.manager.query<{ id: string }[]>(page, sql.params),
      this.db.manager.query<{ n: string | number }[]>(
        `SELECT COUNT(*) AS n FROM staff s ${filter}`,
        sql.params.slice(0, filterParams),
      ),
    ]);
    return { ids: rows.map((r) => r.id), total: Number(counted[0]?.n ?? 0) };
  }
}

/** Numbered parameters (`$n` / `?n`), so text order and parameter order are independent. */
class SqlBuilder {
  readonly params: unknown[] = [];
  readonly collate: string;
  constructor(private readonly kind: DatabaseKind) {
    this.collate = kind === 'postgres' ? 'COLLATE "C"' : '';
  }
  p(value: unknown): string {
    this.params.push(value);
    return `${this.kind === 'postgres' ? '$' : '?'}${this.params.length}`;
  }
  bool(value: boolean): string {
    return this.kind === 'postgres' ? String(value) : value ? '1' : '0';
  }
  range(column: string, prefix: string): string {
    return `${column} ${this.collate} >= ${this.p(prefix)} AND ${column} ${this.collate} < ${this.p(prefixUpperBound(prefix))}`;
  }
}
