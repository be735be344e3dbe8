/** The bench's hub as a child process (messaging-hub.ts), driven over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HubReport, HubRequest, HubStats } from './messaging-common.js';

const ENTRY = join(dirname(fileURLToPath(import.meta.url)), 'messaging-hub.js');
const READY_TIMEOUT_MS = 300_000;
const CALL_TIMEOUT_MS = 30_000;

export interface HubReady {
  url: string;
  database: string;
  logins: string[];
  seedSeconds: number;
}

export class HubProcess {
  private readonly child: ChildProcess;
  private nextId = 0;
  private readonly waiting = new Map<number, (r: HubReport) => void>();
  private failure: Error | null = null;
  private readonly exited: Promise<void>;

  constructor(env: Record<string, string>) {
    this.child = fork(ENTRY, [], {
      execArgv: ['--expose-gc'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.on('message', (raw) => {
      const m = raw as HubReport;
      if (m.type === 'error') this.failure = new Error(`hub process: ${m.message}`);
      else if ('id' in m) {
        this.waiting.get(m.id)?.(m);
        this.waiting.delete(m.id);
      }
    });
    this.child.once('exit', (code, signal) => {
      this.failure ??= new Error(`hub process exited (${code ?? signal})`);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Waits for the hub to listen and seed its users. */
  ready(): Promise<HubReady> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('hub did not start in time')),
        READY_TIMEOUT_MS,
      );
      const onMessage = (raw: unknown) => {
        const m = raw as HubReport;
        if (m.type === 'ready') done(() => resolve(m));
        else if (m.type === 'error') done(() => reject(new Error(`hub process: ${m.message}`)));
      };
      const onExit = () => done(() => reject(this.failure ?? new Error('hub process exited')));
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        settle();
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
  }

  private call(request: (id: number) => HubRequest): Promise<HubReport> {
    if (this.failure) return Promise.reject(this.failure);
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(this.failure ?? new Error('the hub process did not answer'));
      }, CALL_TIMEOUT_MS);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.child.send(request(id));
    });
  }

  /** CPU and memory of the hub process; `gc` forces a full collection first. */
  async stats(gc = false): Promise<HubStats> {
    const r = await this.call((id) => ({ type: 'stats', id, gc }));
    if (r.type !== 'stats') throw new Error(`unexpected answer ${r.type}`);
    return r.stats;
  }

  /** Starts the CPU profiler (`file` null) or stops it and writes `file`. */
  async profile(file: string | null): Promise<void> {
    await this.call((id) => ({ type: 'profile', id, file }));
  }

  /** Asks the hub to stop; kills it if it has not exited within 15 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.send({ type: 'stop' } satisfies HubRequest);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Last resort on a crash of the parent: no waiting. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
