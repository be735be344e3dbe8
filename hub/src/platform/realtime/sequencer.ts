import type { StreamBatch } from './realtime.types.js';

/** What the sequencer drives (the gateway). */
export interface SequencerTarget {
  /** Sends a batch's events to this node's sockets. */
  deliver(batch: StreamBatch): void;
  /**
   * Puts every live socket on hold (live events queue), runs `during` and
   * then sends each socket what it missed from the database before the queue.
   */
  catchUpAll(during: () => void): Promise<void>;
  /** The committed stream head in the database. */
  head(): Promise<number>;
}

/**
 * Puts the batches of all hub nodes back into stream order on one node (ADR
 * 0025). Batches commit in position order across nodes (the stream head row
 * is locked by each batch), but they reach a node by different paths: its own
 * directly, the others' through Redis. A batch is sent only once every
 * position before it has been; one that arrives early waits. A range still
 * missing after `gapMs` (a node died between commit and publish, a message
 * was lost while Redis was away) is read from the database for every socket.
 */
export class StreamSequencer {
  private expected: number | null = null;
  private readonly held = new Map<number, StreamBatch>();
  private gapSince = 0;
  /** The database head seen beyond `expected` at the last idle check. */
  private lagging: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly target: SequencerTarget,
    private readonly gapMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts from the committed head; batches that arrived earlier are sorted in. */
  async start(): Promise<void> {
    const head = await this.target.head();
    this.expected = head;
    this.drain();
    this.timer = setInterval(() => void this.check(), Math.max(25, Math.floor(this.gapMs / 2)));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The position up to which this node has sent everything (for tests and metrics). */
  position(): number | null {
    return this.expected;
  }

  push(batch: StreamBatch): void {
    if (this.expected === null || batch.after > this.expected) {
      if (batch.upTo > (this.expected ?? -1)) {
        this.held.set(batch.after, batch);
        if (this.gapSince === 0) this.gapSince = this.now();
      }
      return;
    }
    this.send(batch);
    this.drain();
  }

  /** Something may have been missed: read the database for every socket now. */
  resync(): Promise<void> {
    return this.catchUp();
  }

  private send(batch: StreamBatch): void {
    const expected = this.expected!;
    if (batch.upTo <= expected) return;
    if (batch.after < expected) {
      // Overlaps what a database read already covered: send only the rest.
      batch = { ...batch, events: batch.events.filter((e) => e.seq > expected) };
    }
    this.target.deliver(batch);
    this.expected = batch.upTo;
  }

  private drain(): void {
    if (this.expected === null) return;
    for (;;) {
      for (const [after, b] of this.held) {
        if (b.upTo <= this.expected) this.held.delete(after);
      }
      const next = this.held.get(this.expected);
      if (!next) break;
      this.held.delete(this.expected);
      this.send(next);
    }
    this.gapSince = this.held.size > 0 ? this.gapSince || this.now() : 0;
  }

  private async check(): Promise<void> {
    if (this.busy || this.expected === null) return;
    if (this.held.size > 0) {
      if (this.now() - this.gapSince >= this.gapMs) await this.catchUp();
      return;
    }
    // Nothing waits, yet a last batch may be missing with no later one to show the gap.
    this.busy = true;
    let head: number;
    try {
      head = await this.target.head();
    } catch {
      return;
    } finally {
      this.busy = false;
    }
    // A head seen last time that is still not reached has waited long enough.
    if (this.lagging !== null && this.expected < this.lagging && this.held.size === 0) {
      this.lagging = null;
      await this.catchUp();
      return;
    }
    this.lagging = head > this.expected ? head : null;
  }

  private async catchUp(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const head = await this.target.head();
      await this.target.catchUpAll(() => {
        // Sockets are on hold: what was waiting goes into their queues, then
        // the database read fills the gaps below it.
        const waiting = [...this.held.values()].sort((x, y) => x.after - y.after);
        this.held.clear();
        this.gapSince = 0;
        this.lagging = null;
        let top = Math.max(this.expected ?? 0, head);
        for (const b of waiting) {
          if (b.upTo > top) {
            this.target.deliver({ ...b, events: b.events.filter((e) => e.seq > top) });
            top = b.upTo;
          }
        }
        this.expected = top;
      });
    } catch {
      // The next check tries again.
    } finally {
      this.busy = false;
    }
  }
}
