type Listener = (...args: never[]) => void;

/** A tiny event emitter (no Node `events`, no DOM `EventTarget`). */
export class Emitter {
  private readonly listeners = new Map<string, Set<Listener>>();

  on(name: string, listener: Listener): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => this.off(name, listener);
  }

  off(name: string, listener: Listener): void {
    this.listeners.get(name)?.delete(listener);
  }

  /** Calls each listener; one that throws is reported as `error` and the others still run. */
  emit(name: string, ...args: unknown[]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (...a: unknown[]) => void)(...args);
      } catch (err) {
        if (name !== 'error') this.emit('error', err);
      }
    }
  }
}
