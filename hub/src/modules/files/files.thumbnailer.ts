import { Worker } from 'node:worker_threads';
import type { ThumbnailResult, ThumbnailSource } from './files.thumbnail.js';
import type { ThumbnailJob } from './files.thumbnail.worker.js';

/** A thumbnail that takes longer than this is given up (the upload is kept). */
const TIMEOUT_MS = 30_000;

/**
 * Makes thumbnails in one worker thread, started on first use, one job at a
 * time in order; a worker that fails or times out is replaced for the next job.
 */
export class Thumbnailer {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly waiting = new Map<number, (r: ThumbnailResult) => void>();
  private tail: Promise<unknown> = Promise.resolve();

  make(bytes: Buffer, type: ThumbnailSource): Promise<ThumbnailResult> {
    const run = this.tail.then(() => this.run(bytes, type));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private run(bytes: Buffer, type: ThumbnailSource): Promise<ThumbnailResult> {
    const worker = this.start();
    const id = ++this.nextId;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        void this.stop();
        resolve({ ok: false, reason: 'unreadable' });
      }, TIMEOUT_MS);
      timer.unref();
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      const job: ThumbnailJob = { id, bytes: new Uint8Array(bytes), type };
      worker.postMessage(job);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./files.thumbnail.worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (m: { id: number; result: ThumbnailResult }) => {
      this.waiting.get(m.id)?.(m.result);
      this.waiting.delete(m.id);
    });
    const fail = () => {
      if (this.worker === worker) this.worker = null;
      for (const resolve of this.waiting.values()) resolve({ ok: false, reason: 'unreadable' });
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    this.worker = worker;
    return worker;
  }

  /** Stops the worker (module stop). */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }
}
