import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where the PostgreSQL suites run; `KONSILIUM_TEST_DATABASE_URL` overrides. */
export const TEST_PG_URL =
  process.env.KONSILIUM_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** CI sets this so a missing server fails the run instead of skipping. */
export const PG_REQUIRED = process.env.KONSILIUM_TEST_REQUIRE_POSTGRES === '1';

async function probeOnce(): Promise<string | null> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Why the server cannot be used (null: it answers); a busy server gets three tries. */
async function probe(): Promise<string | null> {
  let problem: string | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    problem = await probeOnce();
    if (problem === null) return null;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return problem;
}

const problem = await probe();
if (problem) {
  if (PG_REQUIRED) {
    throw new Error(
      `PostgreSQL is required (KONSILIUM_TEST_REQUIRE_POSTGRES=1) but unreachable at ${TEST_PG_URL}: ${problem}`,
    );
  }
  process.stdout.write(
    `\n*** The PostgreSQL suite did NOT run: no server at ${TEST_PG_URL} (${problem}). Only SQLite was tested. ***\n\n`,
  );
}

export type DbKind = 'sqlite' | 'postgres';

/** The databases the integration suites run on here. */
export const DATABASES: DbKind[] = problem ? ['sqlite'] : ['sqlite', 'postgres'];

function adminUrl(): string {
  return TEST_PG_URL;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates an empty PostgreSQL database for one test hub; returns its URL and a dropper. */
export async function createPgDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `konsilium_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(TEST_PG_URL, name),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl() });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Registers `suite` once per available database: `describe('<title> [sqlite]')`, `[postgres]`. */
export function eachDatabase(title: string, suite: (kind: DbKind) => void): void {
  for (const kind of DATABASES) {
    describe(`${title} [${kind}]`, function () {
      suite(kind);
    });
  }
}
