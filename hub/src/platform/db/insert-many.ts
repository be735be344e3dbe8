import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import { Params } from './params.js';
import { together, type Step } from './together.js';

/** Parameters bound per statement at most (SQLite allows 32,766, PostgreSQL 65,535). */
const MAX_PARAMS = 4000;

interface Shape {
  head: string;
  columns: ColumnMetadata[];
}

const shapes = new WeakMap<object, Map<unknown, Shape>>();

/**
 * Inserts rows of an entity in multi-row statements written here: the query
 * builder's per-parameter bookkeeping grows with the square of a statement's
 * parameters, which made big inserts (a batch of results, alerts opening
 * together) cost more CPU than the database work. Values go through the
 * driver's own conversion (booleans on SQLite and the like); a column left
 * undefined takes its declared default, else NULL. Nothing is read back; the
 * statements of a big insert are sent together.
 *
 * Also the safe way to insert several rows of an entity with a default,
 * generated or version column on SQLite: TypeORM's `insert(entity, [rows])`
 * reads those columns back after the insert and writes them, with the
 * primary keys, into the objects passed in by position, while the rows come
 * back in key order. The database is right, but the objects then carry other
 * rows' ids (seen with TypeORM 0.3 on SQLite): never use them after such an
 * insert.
 */
export async function insertMany<T extends ObjectLiteral>(
  tx: EntityManager,
  entity: EntityTarget<T>,
  rows: readonly T[],
): Promise<void> {
  if (rows.length === 0) return;
  const { head, columns } = shapeOf(tx, entity);
  const driver = tx.connection.driver;
  const pg = driver.options.type === 'postgres';
  const per = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  const statements: Step[] = [];
  for (let i = 0; i < rows.length; i += per) {
    const params = new Params(pg);
    const tuples = rows.slice(i, i + per).map((row) => {
      const values = columns.map((c) => {
        let v: unknown = c.getEntityValue(row);
        if (v === undefined) v = c.default === undefined ? null : c.default;
        return v === null ? null : (driver.preparePersistentValue(v, c) as unknown);
      });
      return params.tuple(values);
    });
    const sql = `${head}${tuples.join(', ')}`;
    statements.push(() => tx.query(sql, params.values));
  }
  await together(tx, ...statements);
}

function shapeOf(tx: EntityManager, entity: EntityTarget<ObjectLiteral>): Shape {
  const ds = tx.connection;
  let byEntity = shapes.get(ds);
  if (!byEntity) shapes.set(ds, (byEntity = new Map<unknown, Shape>()));
  let shape = byEntity.get(entity);
  if (!shape) {
    const meta = ds.getMetadata(entity);
    const columns = meta.columns.filter((c) => !c.isVirtual && c.isInsert);
    for (const c of columns)
      if (typeof c.default === 'function' || c.isGenerated)
        throw new Error(`insertMany: column ${c.databaseName} needs the database to fill it`);
    const esc = (n: string) => ds.driver.escape(n);
    shape = {
      head: `INSERT INTO ${esc(meta.tableName)} (${columns.map((c) => esc(c.databaseName)).join(', ')}) VALUES `,
      columns,
    };
    byEntity.set(entity, shape);
  }
  return shape;
}
