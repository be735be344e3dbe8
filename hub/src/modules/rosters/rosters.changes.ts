import type { OnCallIndex } from './rosters.index.js';
import type { RosterCtx } from './rosters.ports.js';
import type { RolesService } from './rosters.roles.js';

/**
 * Watches shift boundaries: on each tick, every start or end of a published
 * shift since the previous tick where the people on call changed emits
 * `rosters.shift_changed` (messaging hands unacknowledged urgent messages of
 * the role from `outgoing` to `incoming`). Ticks run every `everyMs` and can
 * be driven by hand (tests move a fake clock, then call {@link tick}).
 */
export class ShiftChangeWatcher {
  private last: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly rc: RosterCtx,
    private readonly roles: RolesService,
    private readonly index: OnCallIndex,
    private readonly everyMs = 30_000,
  ) {
    this.last = rc.clock.now().getTime();
  }

  start(): void {
    this.last = this.rc.clock.now().getTime();
    this.timer = setInterval(() => void this.tick(), this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Emits the changes between the previous tick and now; ticks never overlap. */
  tick(): Promise<void> {
    this.running = this.running.then(() =>
      this.scan().catch((err: unknown) => this.rc.log.error({ err }, 'shift change scan failed')),
    );
    return this.running;
  }

  private async scan(): Promise<void> {
    const from = this.last;
    const to = this.rc.clock.now().getTime();
    if (to <= from) return;
    this.last = to;
    for (const role of (await this.roles.all()).values()) {
      if (!role.active) continue;
      for (const b of await this.index.boundaries(role.id, from, to)) {
        const before = new Set((await this.index.at(role.id, b - 1)).map((i) => i.userId));
        const after = new Set((await this.index.at(role.id, b)).map((i) => i.userId));
        const outgoing = [...before].filter((u) => !after.has(u));
        const incoming = [...after].filter((u) => !before.has(u));
        if (outgoing.length === 0 && incoming.length === 0) continue;
        this.rc.bus.emit('rosters.shift_changed', {
          roleId: role.id,
          at: new Date(b).toISOString(),
          outgoing,
          incoming,
        });
      }
    }
  }
}
