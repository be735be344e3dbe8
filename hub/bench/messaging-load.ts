/**
 * The open-loop load of the messaging bench: messages are sent on a fixed
 * schedule whatever the hub answers, and each latency is measured from the
 * message's *planned* send time to the recipient's `message.created` event
 * (so a late sender or a queue in the hub is counted, not hidden).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { HubClient } from '@konsilium/shared';
import { ascending, sleep, type HubStats } from './messaging-common.js';

/** A run is stopped when its oldest undelivered message is this far behind its planned time. */
const SATURATED_MS = 5_000;
/**
 * After the last send, deliveries are awaited while they keep coming (so a
 * backlog drains before the next run starts), at most this long; a run with
 * no delivery for {@link STALL_MS} ends.
 */
const DRAIN_MAX_MS = 60_000;
const STALL_MS = 5_000;

/** Who sends message number `k` of a run, where, and how many others must receive it. */
export interface Route {
  sender: number;
  conversationId: string;
  recipients: number;
}

export interface RunSpec {
  label: string;
  series: '1:1' | 'fan-out';
  /** Members of the conversation (2 for 1:1). */
  members: number;
  /** Offered messages per second. */
  rate: number;
  seconds: number;
  route: (k: number) => Route;
}

export interface RunResult {
  spec: RunSpec;
  sent: number;
  /** Messages every recipient received. */
  completed: number;
  /** Messages some recipient never received within the drain time. */
  undelivered: number;
  /** Sends the hub refused. */
  errors: number;
  deliveries: number;
  offeredDeliveries: number;
  achievedMsgs: number;
  achievedDeliveries: number;
  /** Ascending latencies (ms) to the last recipient (undelivered ones as Infinity). */
  last: number[];
  /** Ascending latencies (ms) to the first recipient. */
  first: number[];
  /** Ascending latencies (ms) from planned send to the sender's acknowledgement (committed). */
  ack: number[];
  /** The run stopped early: its oldest undelivered message was over 5 s late. */
  stoppedEarly: boolean;
  /** Delivery did not keep up: stopped early, or under 95% of the offered rate achieved. */
  saturated: boolean;
  /** Start of the run in seconds since the Receiver's `since` (the end of the sign-ins). */
  startedAt: number;
  /** Hub CPU during the sending window, % of one core. */
  hubCpu: number;
  /** Hub CPU time (user + system) per message sent, from the first send to the end of the drain. */
  hubMicrosPerMsg: number;
  hubRssMb: number;
  hubPeakRssMb: number;
  /** Load generator CPU during the sending window, % of one core. */
  genCpu: number;
}

interface Entry {
  planned: number;
  sender: number;
  recipients: number;
  remaining: number;
}

/** One run's bookkeeping: messages in flight by id, in planned order. */
class Run {
  readonly entries = new Map<string, Entry>();
  readonly last: number[] = [];
  readonly first: number[] = [];
  readonly ack: number[] = [];
  deliveries = 0;
  completed = 0;
  errors = 0;
  lastDeliveryAt = 0;

  receive(id: string, who: number, now: number): void {
    const e = this.entries.get(id);
    if (!e || who === e.sender) return;
    this.deliveries += 1;
    this.lastDeliveryAt = now;
    const latency = now - e.planned;
    if (e.remaining === e.recipients) this.first.push(latency);
    e.remaining -= 1;
    if (e.remaining === 0) {
      this.last.push(latency);
      this.completed += 1;
      this.entries.delete(id);
    }
  }

  /** Planned time of the oldest message not yet fully delivered. */
  oldest(): number | undefined {
    for (const e of this.entries.values()) return e.planned;
    return undefined;
  }
}

/**
 * Routes every client's `message.created` to the current run. Clients only
 * listen: they send no delivered/read receipts, so the hub's work is delivery.
 */
export class Receiver {
  private active: Run | null = null;
  /** `since`: the `performance.now()` that {@link RunResult.startedAt} counts from. */
  constructor(
    clients: readonly HubClient[],
    private readonly since: number,
  ) {
    clients.forEach((client, i) =>
      client.on('message.created', (m) => this.active?.receive(m.id, i, performance.now())),
    );
  }

  async run(
    spec: RunSpec,
    clients: readonly HubClient[],
    hubStats: () => Promise<HubStats>,
  ): Promise<RunResult> {
    const run = new Run();
    this.active = run;
    const total = Math.max(1, Math.round(spec.rate * spec.seconds));
    const interval = 1000 / spec.rate;
    let peakRss = 0;
    const sampler = setInterval(
      () => void hubStats().then((s) => (peakRss = Math.max(peakRss, s.rss))),
      500,
    );
    const s0 = await hubStats();
    const t0 = performance.now();
    const g0 = process.cpuUsage();
    const start = t0 + 5;
    let k = 0;
    let stoppedEarly = false;
    let offeredDeliveries = 0;
    const send = (k: number) => {
      const r = spec.route(k);
      const planned = start + k * interval;
      const id = randomUUID();
      offeredDeliveries += r.recipients;
      run.entries.set(id, {
        planned,
        sender: r.sender,
        recipients: r.recipients,
        remaining: r.recipients,
      });
      clients[r.sender]!.send(r.conversationId, { id, text: `bench ${spec.label} #${k}` }).then(
        () => run.ack.push(performance.now() - planned),
        () => {
          run.errors += 1;
          run.entries.delete(id);
        },
      );
    };
    while (k < total) {
      const now = performance.now();
      while (k < total && start + k * interval <= now) send(k++);
      const oldest = run.oldest();
      if (oldest !== undefined && now - oldest > SATURATED_MS) {
        stoppedEarly = true;
        break;
      }
      await sleep(1);
    }
    const t1 = performance.now();
    const g1 = process.cpuUsage(g0);
    const s1 = await hubStats();
    const wall = t1 - t0;
    const drainUntil = performance.now() + DRAIN_MAX_MS;
    while (run.entries.size > 0) {
      const now = performance.now();
      if (now > drainUntil || now - Math.max(run.lastDeliveryAt, t1) > STALL_MS) break;
      await sleep(5);
    }
    clearInterval(sampler);
    const s2 = await hubStats();
    this.active = null;
    const undelivered = run.entries.size;
    const span = Math.max(1, run.lastDeliveryAt - start) / 1000;
    const offered = offeredDeliveries / Math.max(1, k) / (interval / 1000);
    const last = ascending([...run.last, ...Array<number>(undelivered).fill(Infinity)]);
    return {
      spec,
      sent: k,
      completed: run.completed,
      undelivered,
      errors: run.errors,
      deliveries: run.deliveries,
      offeredDeliveries: offered,
      achievedMsgs: run.completed / span,
      achievedDeliveries: run.deliveries / span,
      last,
      first: ascending(run.first),
      ack: ascending(run.ack),
      stoppedEarly,
      saturated: stoppedEarly || undelivered > 0 || run.deliveries / span < 0.95 * offered,
      startedAt: (t0 - this.since) / 1000,
      hubCpu: ((s1.cpuMicros - s0.cpuMicros) / 1000 / wall) * 100,
      hubMicrosPerMsg: (s2.cpuMicros - s0.cpuMicros) / Math.max(1, k),
      hubRssMb: s1.rss / (1024 * 1024),
      hubPeakRssMb: Math.max(peakRss, s1.rss) / (1024 * 1024),
      genCpu: ((g1.user + g1.system) / 1000 / wall) * 100,
    };
  }
}
