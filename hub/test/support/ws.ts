import { WebSocket } from 'ws';
import type { EventFrame } from '@konsilium/shared';
import type { RealtimeGateway } from '../../src/platform/realtime/gateway.js';

/** The realtime endpoint of a hub at `baseUrl` (`http://…`). */
export function wsUrl(baseUrl: string, path = '/api/v1/ws'): string {
  return baseUrl.replace(/^http/, 'ws') + path;
}

export interface Closed {
  code: number;
  reason: string;
}

/**
 * A raw WebSocket client for tests: records every frame it receives (parsed
 * JSON, or the raw text when it is not JSON) and waits for the ones a test
 * expects.
 */
export class TestSocket {
  readonly frames: any[] = [];
  readonly closed: Promise<Closed>;
  private waiters: { match: (f: any) => boolean; resolve: (f: any) => void }[] = [];
  private counter = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      let frame: any = text;
      try {
        frame = JSON.parse(text);
      } catch {
        /* keep the text */
      }
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Opens a socket; rejects with the HTTP status when the upgrade is refused. */
  static open(
    baseUrl: string,
    options: { path?: string; origin?: string; headers?: Record<string, string> } = {},
  ): Promise<TestSocket> {
    const ws = new WebSocket(wsUrl(baseUrl, options.path), {
      ...(options.origin ? { origin: options.origin } : {}),
      headers: options.headers ?? {},
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestSocket(ws)));
      ws.once('unexpected-response', (_req, res) => {
        reject(
          Object.assign(new Error(`upgrade refused: ${res.statusCode}`), {
            status: res.statusCode,
          }),
        );
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  /** Opens a socket and authenticates; resolves with the auth reply. */
  static async authed(
    baseUrl: string,
    token: string,
    resumeFrom?: number,
  ): Promise<{ socket: TestSocket; reply: any }> {
    const socket = await TestSocket.open(baseUrl);
    const reply = await socket.auth(token, resumeFrom);
    return { socket, reply };
  }

  /** Sends an object as JSON, or a string as is. */
  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  auth(token: string, resumeFrom?: number): Promise<any> {
    const id = `auth-${++this.counter}`;
    this.send({ id, op: 'auth', token, ...(resumeFrom !== undefined ? { resumeFrom } : {}) });
    return this.reply(id);
  }

  /** Sends an op and resolves with its reply frame (ok or not). */
  call(op: string, data?: unknown): Promise<any> {
    const id = `c-${++this.counter}`;
    this.send({ id, op, ...(data !== undefined ? { data } : {}) });
    return this.reply(id);
  }

  reply(id: string | null, timeoutMs = 5000): Promise<any> {
    return this.next(
      (f) => typeof f === 'object' && f !== null && 're' in f && f.re === id,
      timeoutMs,
    );
  }

  /** Every event frame received so far. */
  events(): any[] {
    return this.frames.filter((f) => typeof f === 'object' && f !== null && 'seq' in f);
  }

  /** Resolves when `count` events have arrived. */
  async waitEvents(count: number, timeoutMs = 5000): Promise<any[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events().length < count) {
      if (Date.now() > deadline) {
        throw new Error(`expected ${count} events, got ${this.events().length}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.events();
  }

  /** The first frame (already received or still to come) that matches. */
  next(match: (f: any) => boolean, timeoutMs = 5000): Promise<any> {
    const seen = this.frames.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching frame in time')), timeoutMs);
      this.waiters.push({
        match,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  /** Resolves with the close code, failing after `timeoutMs`. */
  async closedWithin(timeoutMs = 5000): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_r, reject) => {
      timer = setTimeout(() => reject(new Error('socket not closed in time')), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.ws.close();
  }
}

/** Waits until `check` is true (polling), failing after `timeoutMs`. */
export async function until(
  check: () => boolean,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * An in-memory event stream standing in for messaging's: one shared position,
 * events stored per user, a resume source that can be held back (`gate`) so a
 * test can publish while a resume is in progress.
 */
export class TestStream {
  head = 0;
  readonly byUser = new Map<string, EventFrame[]>();
  /** Resume reads wait for this while it is set. */
  gate: Promise<void> | null = null;
  reads = 0;

  constructor(private readonly rt: RealtimeGateway) {
    rt.setResumeSource(
      async (userId, afterSeq, limit) => {
        this.reads += 1;
        if (this.gate) await this.gate;
        return (this.byUser.get(userId) ?? []).filter((e) => e.seq > afterSeq).slice(0, limit);
      },
      async () => this.head,
    );
  }

  /** Stores an event for these users (durable) and publishes it live. */
  emit(userIds: string[], event: string, data: unknown): EventFrame {
    const frame: EventFrame = { seq: ++this.head, event, data };
    for (const u of userIds) {
      const list = this.byUser.get(u) ?? [];
      list.push(frame);
      this.byUser.set(u, list);
    }
    this.rt.publish(userIds, frame);
    return frame;
  }

  /** Holds resume reads until the returned function is called. */
  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise((r) => (release = r));
    return () => {
      this.gate = null;
      release();
    };
  }
}
