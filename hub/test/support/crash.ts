/*
 * Shared by the SIGKILL restart tests (durable timers, escalation): the child
 * side starts a quiet hub over the data directory or database its parent
 * named; the parent side runs that child until it reports ready, kills it
 * with SIGKILL and hands the data over to the restarted hub.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createHub, type Hub } from '../../src/hub.js';
import type { HubConfigInput } from '../../src/config/index.js';
import type { Clock } from '../../src/platform/clock.js';
import { createPgDatabase, type DbKind } from './databases.js';

const quiet = () => new Writable({ write: (_c, _e, cb) => cb() });

/** Child side: a hub over KONSILIUM_DATA_DIR / KONSILIUM_DATABASE_URL, logging nothing. */
export function crashChildHub(config: HubConfigInput = {}): Hub {
  return createHub(
    {
      ...config,
      port: 0,
      host: '127.0.0.1',
      dataDir: process.env.KONSILIUM_DATA_DIR ?? '',
      ...(process.env.KONSILIUM_DATABASE_URL
        ? { databaseUrl: process.env.KONSILIUM_DATABASE_URL }
        : {}),
    },
    { logDestination: quiet() },
  );
}

export type CrashedData = {
  /** What the child printed on stdout before it was killed. */
  out: string;
  /** A new (not yet started) hub over the killed child's data, on `clock`, with `config`. */
  restart: (clock: Clock, config?: HubConfigInput) => Hub;
};

/**
 * Runs `child` (a compiled script) with `env` until its stdout includes
 * `ready` (and `until`, when given, holds), kills it with SIGKILL, then calls
 * `after`; the data directory and the PostgreSQL database are removed
 * afterwards whatever happens.
 */
export async function afterCrash(
  kind: DbKind,
  opts: {
    child: string;
    prefix: string;
    env: Record<string, string>;
    ready: string;
    /** A further condition seen from outside the child (e.g. a server it talks to). */
    until?: () => boolean;
    waitMs: number;
  },
  after: (data: CrashedData) => Promise<void>,
): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), opts.prefix));
  const pgDb = kind === 'postgres' ? await createPgDatabase() : null;
  try {
    const child = spawn(process.execPath, [opts.child], {
      env: {
        PATH: process.env.PATH ?? '',
        KONSILIUM_DATA_DIR: dataDir,
        ...opts.env,
        ...(pgDb ? { KONSILIUM_DATABASE_URL: pgDb.url } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((r) =>
      child.on('exit', (_code, signal) => r(signal)),
    );
    for (let i = 0; !out.includes(opts.ready) || (opts.until && !opts.until()); i++) {
      if (i * 50 > opts.waitMs || child.exitCode !== null) throw new Error(`child failed: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    await after({
      out,
      restart: (clock, config = {}) =>
        createHub(
          {
            ...config,
            port: 0,
            host: '127.0.0.1',
            dataDir,
            ...(pgDb ? { databaseUrl: pgDb.url } : {}),
          },
          { clock, logDestination: quiet() },
        ),
    });
  } finally {
    await pgDb?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
