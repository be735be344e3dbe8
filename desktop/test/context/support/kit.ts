// Test kit for the context suites: a scheduler driven by the test, a recording logger, a poll helper.
import type { Scheduler } from '../../../src/context/common.js';

/** A scheduler the test drives: timers fire only when the test runs them. */
export class ManualScheduler implements Scheduler {
  private next = 1;
  private readonly pending = new Map<number, { fn: () => void; ms: number }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Delays of the timers now pending, ascending. */
  delays(): number[] {
    return [...this.pending.values()].map((t) => t.ms).sort((a, b) => a - b);
  }

  /** Fires the pending timers whose delay passes `filter`; returns how many fired. */
  run(filter: (ms: number) => boolean = () => true): number {
    const due = [...this.pending.entries()].filter(([, t]) => filter(t.ms));
    for (const [id] of due) this.pending.delete(id);
    for (const [, t] of due) t.fn();
    return due.length;
  }
}

/** A logger that keeps every entry so tests can assert reasons and the absence of patient data. */
export class RecordingLog {
  readonly entries: Array<{ level: 'info' | 'warn'; obj: object; msg: string }> = [];
  info(obj: object, msg: string): void {
    this.entries.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg: string): void {
    this.entries.push({ level: 'warn', obj, msg });
  }
  reasons(): string[] {
    return this.entries
      .map((e) => (e.obj as { reason?: unknown }).reason)
      .filter((r): r is string => typeof r === 'string');
  }
  text(): string {
    return JSON.stringify(this.entries);
  }
}

/** Polls until `cond` holds (waiting on real I/O, not on a deadline); fails after 5 s. */
export async function until(cond: () => boolean, what: string): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > 5000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
