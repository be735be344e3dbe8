#!/usr/bin/env node
/**
 * `npm run audit:verify -- --data-dir DIR | --database-url URL [--expect-head HASH]`
 * Prints `ok N rows head=<hash>` and exits 0, or names the first bad row and exits 1.
 * Exit 2: bad arguments or the database cannot be opened. Reads only; never migrates.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Database, SQLITE_FILE } from '../platform/db/database.js';
import { createLogger } from '../platform/log/logger.js';
import { AUDIT_ENTITIES, verifyAuditChain } from '../modules/audit/index.js';

function fail(message: string, code: number): never {
  process.stderr.write(`audit:verify: ${message}\n`);
  process.exit(code);
}

export async function runAuditVerify(argv: string[]): Promise<{ code: number; out: string }> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        'database-url': { type: 'string' },
        'expect-head': { type: 'string' },
      },
      strict: true,
    }));
  } catch (err) {
    return { code: 2, out: `bad arguments: ${(err as Error).message}` };
  }
  const dataDir = values['data-dir'];
  const url = values['database-url'];
  const expectHead = values['expect-head'];
  if (!dataDir && !url) return { code: 2, out: 'give --data-dir DIR or --database-url URL' };
  if (dataDir && url) return { code: 2, out: 'give only one of --data-dir and --database-url' };
  if (url && !/^postgres(ql)?:\/\//.test(url))
    return { code: 2, out: '--database-url must be a postgres:// URL' };
  if (expectHead !== undefined && !/^[0-9a-f]{64}$/.test(expectHead)) {
    return { code: 2, out: '--expect-head must be a 64-digit lower-case hex SHA-256' };
  }
  if (dataDir && !existsSync(join(resolve(dataDir), SQLITE_FILE))) {
    return { code: 2, out: `no database at ${join(resolve(dataDir), SQLITE_FILE)}` };
  }
  const db = new Database({
    dataDir: dataDir ?? '.',
    databaseUrl: url,
    entities: AUDIT_ENTITIES,
    migrations: [],
    log: createLogger('silent'),
  });
  try {
    await db.dataSource.initialize();
  } catch (err) {
    return { code: 2, out: `cannot open the database: ${(err as Error).message}` };
  }
  try {
    const r = await verifyAuditChain(db.manager, expectHead ? { expectHead } : {});
    if (r.ok) return { code: 0, out: `ok ${r.rows} rows head=${r.head}` };
    return {
      code: 1,
      out: `BAD${r.badSeq !== null ? ` row ${r.badSeq}` : ''}: ${r.reason} (${r.rows} rows verified before it)`,
    };
  } finally {
    await db.dataSource.destroy();
  }
}

const isMain =
  process.argv[1] && import.meta.url === new URL(`file://${resolve(process.argv[1])}`).href;
if (isMain) {
  runAuditVerify(process.argv.slice(2)).then(
    ({ code, out }) => {
      if (code === 0) process.stdout.write(`${out}\n`);
      else if (code === 1) process.stdout.write(`${out}\n`);
      if (code === 2) fail(out, 2);
      process.exit(code);
    },
    (err: unknown) => fail((err as Error).message, 2),
  );
}
