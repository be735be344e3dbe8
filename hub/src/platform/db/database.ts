import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sqlite3 from 'sqlite3';
import { DataSource, type EntityManager, type EntitySchema, type MixedList } from 'typeorm';
import type { Logger } from '../log/logger.js';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface DatabaseOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<EntitySchema | Function>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function>;
  log: Logger;
}

/**
 * sqlite3 without its verbose mode: TypeORM calls `verbose()`, which makes the
 * driver capture a stack trace and inspect the SQL of every statement —
 * measured at about 30% of messaging throughput (hub/bench/messaging.bench.ts).
 */
const QUIET_SQLITE3: typeof sqlite3 = Object.assign(Object.create(sqlite3) as typeof sqlite3, {
  verbose: () => QUIET_SQLITE3,
});

/** File name of the embedded database inside the data directory. */
export const SQLITE_FILE = 'konsilium.sqlite';

/**
 * The hub's database: a TypeORM DataSource plus the one way to write,
 * {@link Database.transaction}. On SQLite (one connection) write transactions
 * are queued in process, so two of them never interleave on the connection.
 */
export class Database {
  readonly kind: DatabaseKind;
  readonly dataSource: DataSource;
  private readonly log: Logger;
  /** SQLite: a write transaction is running on the connection. */
  private writing = false;
  /** SQLite: write transactions waiting for the connection, in order; `urgent` ones go first. */
  private readonly queued: (() => void)[] = [];
  private readonly urgent: (() => void)[] = [];

  constructor(options: DatabaseOptions) {
    this.log = options.log;
    if (options.databaseUrl) {
      this.kind = 'postgres';
      this.dataSource = new DataSource({
        type: 'postgres',
        url: options.databaseUrl,
        entities: options.entities,
        migrations: options.migrations,
        migrationsTransactionMode: 'each',
        synchronize: false,
        extra: { max: 10, application_name: 'konsilium-hub' },
      });
    } else {
      this.kind = 'sqlite';
      const dir = resolve(options.dataDir);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      this.dataSource = new DataSource({
        type: 'sqlite',
        database: join(dir, SQLITE_FILE),
        entities: options.entities,
        migrations: options.migrations,
        migrationsTransactionMode: 'each',
        synchronize: false,
        enableWAL: true,
        busyErrorRetry: 0,
        driver: QUIET_SQLITE3,
      });
    }
  }

  /** Connects, sets the SQLite pragmas and applies pending migrations. */
  async open(): Promise<void> {
    await this.dataSource.initialize();
    if (this.kind === 'sqlite') {
      for (const pragma of [
        'PRAGMA journal_mode = WAL',
        'PRAGMA synchronous = FULL',
        'PRAGMA busy_timeout = 5000',
        'PRAGMA foreign_keys = ON',
      ]) {
        await this.dataSource.query(pragma);
      }
    }
    const applied = await this.dataSource.runMigrations({ transaction: 'each' });
    if (applied.length > 0) {
      this.log.info({ migrations: applied.map((m) => m.name) }, 'database migrations applied');
    }
  }

  /** True when the database answers and no migration is pending. */
  async isReady(): Promise<boolean> {
    if (!this.dataSource.isInitialized) return false;
    try {
      await this.dataSource.query('SELECT 1');
      return !(await this.dataSource.showMigrations());
    } catch {
      return false;
    }
  }

  /**
   * Runs `work` in one transaction: everything it writes (the change and its
   * audit row) commits together or not at all. On SQLite write transactions
   * wait for the one connection in order; `ahead` puts one before those
   * already waiting (a result whose sender waits for the commit to get its
   * ACK goes before background work such as opening alerts).
   */
  transaction<T>(
    work: (manager: EntityManager) => Promise<T>,
    options: { ahead?: boolean } = {},
  ): Promise<T> {
    if (this.kind === 'postgres') return this.dataSource.transaction(work);
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.dataSource
          .transaction(work)
          .then(resolve, reject)
          .finally(() => {
            this.writing = false;
            this.nextWrite();
          });
      };
      (options.ahead ? this.urgent : this.queued).push(start);
      this.nextWrite();
    });
  }

  /** Starts the next queued write transaction (SQLite): those asked `ahead` first. */
  private nextWrite(): void {
    if (this.writing) return;
    const start = this.urgent.shift() ?? this.queued.shift();
    if (!start) return;
    this.writing = true;
    start();
  }

  /** Refreshes the planner's statistics of `tables` after a bulk change. */
  async analyze(tables: readonly string[]): Promise<void> {
    for (const table of tables) {
      if (!/^[a-z_]+$/.test(table)) throw new Error(`not a table name: ${table}`);
      await this.dataSource.query(`ANALYZE ${table}`);
    }
  }

  /** Reads outside a transaction. */
  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  async close(): Promise<void> {
    if (!this.dataSource.isInitialized) return;
    // Let the queued write transactions finish first.
    while (this.writing || this.urgent.length > 0 || this.queued.length > 0) {
      await new Promise<void>((resolve) => {
        // Queued last: runs once the writes queued before it have finished.
        this.queued.push(() => {
          this.writing = false;
          resolve();
          this.nextWrite();
        });
        this.nextWrite();
      });
    }
    await this.dataSource.destroy();
  }
}
