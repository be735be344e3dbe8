import { HubError } from './hub-error.js';
import { cancel, later } from './runtime.js';

interface PendingCall {
  resolve: (data: unknown) => void;
  reject: (err: HubError) => void;
  timer: unknown;
}

/** Calls waiting for their reply frame, each with a timeout. */
export class PendingCalls {
  private readonly calls = new Map<string, PendingCall>();

  constructor(private readonly timeoutMs: number) {}

  /** A promise settled by {@link settle} with the same id, or by the timeout. */
  track(id: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = later(() => {
        this.calls.delete(id);
        reject(new HubError('client.timeout', `No reply within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.calls.set(id, { resolve, reject, timer });
    });
  }

  /** Settles a call from its reply frame `{re, ok, data | error}`; ignores unknown ids. */
  settle(re: string, frame: Record<string, unknown>): void {
    const call = this.calls.get(re);
    if (!call) return;
    this.calls.delete(re);
    cancel(call.timer);
    if (frame.ok === true) call.resolve(frame.data);
    else call.reject(HubError.from(frame.error));
  }

  /** Rejects every open call (the socket is gone: their replies will never come). */
  rejectAll(err: HubError): void {
    for (const [id, call] of this.calls) {
      this.calls.delete(id);
      cancel(call.timer);
      call.reject(err);
    }
  }
}
