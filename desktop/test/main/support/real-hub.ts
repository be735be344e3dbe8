/**
 * Starts the real hub (`hub/dist/src/main.js --demo`, built by `tsc -b`) as a
 * child process on a free port with a temporary data folder. The desktop never
 * imports the hub; it talks to it over HTTP and WebSocket like in production.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// desktop/dist/test/main/support → repository root
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..');

export interface RunningHub {
  url: string;
  stop(): Promise<void>;
}

/** A free TCP port (the demo's MLLP listener would otherwise take 2575 and clash). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startDemoHub(): Promise<RunningHub> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ks-desktop-hub-'));
  const mllpPort = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, 'hub', 'dist', 'src', 'main.js'), '--demo'],
    {
      env: {
        ...process.env,
        KONSILIUM_PORT: '0',
        KONSILIUM_HOST: '127.0.0.1',
        KONSILIUM_DATA_DIR: dataDir,
        KONSILIUM_MLLP_PORT: String(mllpPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /running at (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve(m[1]!.replace(/\/$/, ''));
    });
    child.once('exit', (code) => reject(new Error(`hub exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
