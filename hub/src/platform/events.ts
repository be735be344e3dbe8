import { EventEmitter } from 'node:events';

/** Hub-internal events that cross modules (DESIGN: side effects go through the bus). */
export interface BusEvents {
  /** Sessions ended (logout, revocation, password change, deactivation): close their sockets. */
  'session.ended': { sessionIds: string[]; reason: string };
  /**
   * A user's first authenticated socket opened (`online: true`) or their last
   * one closed (`online: false`); not emitted while the gateway shuts down.
   */
  'realtime.presence': { userId: string; online: boolean };
}

/** A typed, synchronous in-process event bus. */
export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(50);
  }

  emit<K extends keyof BusEvents>(name: K, payload: BusEvents[K]): void {
    this.emitter.emit(name, payload);
  }

  on<K extends keyof BusEvents>(name: K, listener: (payload: BusEvents[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
}
