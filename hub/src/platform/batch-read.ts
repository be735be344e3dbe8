/**
 * Reads by key for many concurrent callers in one statement: keys asked for
 * in the same event-loop turn, and keys asked for while a read is in flight,
 * go into the next read together (`load` gets each key once, in chunks of at
 * most `max`). A caller never gets a value read before its call. Many callers
 * working in step (alerts opened together, members checked together) thus cost
 * one round trip per step instead of one each. Callers must not mutate values.
 */
export class BatchRead<K, V> {
  private waiting = new Map<K, ((v: V | undefined) => void)[]>();
  private failing = new Map<K, ((err: unknown) => void)[]>();
  private busy = false;
  private scheduled = false;

  constructor(
    private readonly load: (keys: K[]) => Promise<Map<K, V>>,
    private readonly max = 500,
  ) {}

  /** The value of one key (undefined: none). */
  get(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const ok = this.waiting.get(key);
      if (ok) {
        ok.push(resolve);
        this.failing.get(key)!.push(reject);
      } else {
        this.waiting.set(key, [resolve]);
        this.failing.set(key, [reject]);
      }
      this.schedule();
    });
  }

  /** The values of several keys (keys without a value are absent from the map). */
  async getMany(keys: readonly K[]): Promise<Map<K, V>> {
    const unique = [...new Set(keys)];
    const values = await Promise.all(unique.map((k) => this.get(k)));
    const out = new Map<K, V>();
    unique.forEach((k, i) => {
      const v = values[i];
      if (v !== undefined) out.set(k, v);
    });
    return out;
  }

  private schedule(): void {
    if (this.busy || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.busy || this.waiting.size === 0) return;
    this.busy = true;
    const ok = this.waiting;
    const fail = this.failing;
    this.waiting = new Map();
    this.failing = new Map();
    const keys = [...ok.keys()];
    try {
      for (let i = 0; i < keys.length; i += this.max) {
        const part = keys.slice(i, i + this.max);
        try {
          const found = await this.load(part);
          for (const k of part) for (const f of ok.get(k)!) f(found.get(k));
        } catch (err) {
          for (const k of part) for (const f of fail.get(k)!) f(err);
        }
      }
    } finally {
      this.busy = false;
      if (this.waiting.size > 0) this.schedule();
    }
  }
}
