import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { CR, FS, VT } from '@medplum/hl7';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/log/logger.js';
import { buildAck, Hl7Rejection, parseOru, readHeader } from './results.hl7.js';
import type { ResultsService } from './results.service.js';

export interface MllpOptions {
  port: number;
  host: string;
  maxFrameBytes: number;
  idleMs: number;
  fallbackCharset: string;
  criticalFlags: ReadonlySet<string>;
}

/**
 * Splits a TCP byte stream into MLLP frames (`VT … FS CR`): frames may be split
 * across reads or several may arrive in one; bytes outside a frame are
 * discarded; a frame over the limit is reported once and the rest dropped.
 */
export class MllpDecoder {
  private parts: Buffer[] = [];
  private size = 0;
  private inFrame = false;
  /** The last frame ended with FS as the last byte of a read: its CR may come next. */
  private afterEnd = false;
  /** Bytes dropped outside frames (counted for the log). */
  discarded = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds bytes; returns the complete frames and whether the limit was exceeded. */
  push(chunk: Buffer): { frames: Buffer[]; oversize: Buffer | null } {
    const frames: Buffer[] = [];
    let i = 0;
    if (this.afterEnd && chunk[0] === CR) i = 1;
    this.afterEnd = false;
    while (i < chunk.length) {
      if (!this.inFrame) {
        const start = chunk.indexOf(VT, i);
        if (start < 0) {
          this.discarded += chunk.length - i;
          break;
        }
        this.discarded += start - i;
        this.inFrame = true;
        this.parts = [];
        this.size = 0;
        i = start + 1;
        continue;
      }
      const end = chunk.indexOf(FS, i);
      const stop = end < 0 ? chunk.length : end;
      // A new start block inside a frame: the unfinished frame is abandoned.
      const restart = chunk.subarray(i, stop).indexOf(VT);
      if (restart >= 0) {
        this.discarded += this.size + restart;
        this.parts = [];
        this.size = 0;
        i += restart + 1;
        continue;
      }
      this.parts.push(chunk.subarray(i, stop));
      this.size += stop - i;
      if (this.size > this.maxFrameBytes) {
        const head = Buffer.concat(this.parts).subarray(0, 4096);
        this.parts = [];
        this.size = 0;
        this.inFrame = false;
        return { frames, oversize: head };
      }
      if (end < 0) break;
      frames.push(Buffer.concat(this.parts));
      this.parts = [];
      this.size = 0;
      this.inFrame = false;
      i = end + 1;
      if (i === chunk.length) this.afterEnd = true;
      else if (chunk[i] === CR) i++;
    }
    return { frames, oversize: null };
  }
}

/** Frames of one connection waiting for their ACK before its socket is paused. */
const MAX_QUEUED_FRAMES = 256;

let ackCounter = 0;

/** MSH-10 of an ACK: unique per process and at most 20 characters (ST in v2.3–2.5). */
function ackControlId(now: Date): string {
  ackCounter = (ackCounter + 1) % 36 ** 6;
  return `K${now.getTime().toString(36)}${ackCounter.toString(36).padStart(6, '0')}`.slice(0, 20);
}

/** Frames an outgoing message. */
export function mllpFrame(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([VT]), payload, Buffer.from([FS, CR])]);
}

/**
 * The HL7 v2 MLLP listener. Each connection's frames are committed and
 * acknowledged in arrival order; the ACK of a frame is written only after its
 * result is committed (or refused).
 */
export class MllpListener {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly options: MllpOptions,
    private readonly deps: { results: ResultsService; clock: Clock; log: Logger },
  ) {}

  address(): AddressInfo | null {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a : null;
  }

  async start(): Promise<AddressInfo> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return this.address()!;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.allSettled([...this.pending]);
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const log = this.deps.log;
    const decoder = new MllpDecoder(this.options.maxFrameBytes);
    let chain: Promise<unknown> = Promise.resolve();
    let closing = false;
    // Backpressure: a sender that does not wait for its ACKs is paused while
    // too many of its frames are queued.
    let queued = 0;
    socket.setTimeout(this.options.idleMs);
    socket.setNoDelay(true);
    socket.on('timeout', () => {
      log.info({ remote: socket.remotePort }, 'mllp connection idle, closed');
      socket.destroy();
    });
    socket.on('error', (err) => log.debug({ err: err.message }, 'mllp socket error'));
    socket.on('close', () => this.sockets.delete(socket));
    const enqueue = (work: () => Promise<void>) => {
      const next = chain.then(work).catch((err: unknown) => {
        log.error({ err }, 'mllp frame handling failed');
      });
      chain = next;
      this.pending.add(next);
      if (++queued >= MAX_QUEUED_FRAMES) socket.pause();
      void next.finally(() => {
        this.pending.delete(next);
        if (--queued === MAX_QUEUED_FRAMES / 2 && !socket.destroyed) socket.resume();
      });
    };
    socket.on('data', (chunk: Buffer) => {
      if (closing) return;
      const { frames, oversize } = decoder.push(chunk);
      for (const frame of frames) {
        // Handling starts at once (frames of a burst share a group commit, in
        // arrival order); the ACKs are written in frame order.
        const handled = this.handle(frame);
        enqueue(async () => {
          const ack = await handled;
          if (!socket.destroyed) socket.write(mllpFrame(ack));
        });
      }
      if (oversize) {
        closing = true;
        enqueue(async () => {
          const header = readHeader(oversize, this.options.fallbackCharset);
          log.warn(
            { controlId: header.controlId, limit: this.options.maxFrameBytes },
            'mllp frame over the size limit; connection closed',
          );
          const ack = buildAck(
            header,
            { code: 'AE', errorCode: '100', text: 'message too large' },
            this.deps.clock.now(),
            ackControlId(this.deps.clock.now()),
          );
          if (!socket.destroyed) socket.end(mllpFrame(ack));
        });
      }
    });
  }

  /** One frame → its ACK bytes. Never throws. */
  async handle(frame: Buffer): Promise<Buffer> {
    const log = this.deps.log;
    const header = readHeader(frame, this.options.fallbackCharset);
    const ack = (code: 'AA' | 'AE' | 'AR', errorCode?: string, text?: string) =>
      buildAck(
        header,
        { code, ...(errorCode ? { errorCode } : {}), ...(text ? { text } : {}) },
        this.deps.clock.now(),
        ackControlId(this.deps.clock.now()),
      );
    let parsed;
    try {
      parsed = parseOru(frame, this.options);
    } catch (err) {
      if (err instanceof Hl7Rejection) {
        log.warn(
          { controlId: header.controlId, ack: err.ackCode, hl7Error: err.errorCode },
          `hl7 message refused: ${err.message}`,
        );
        return ack(err.ackCode, err.errorCode, err.message);
      }
      log.error({ err, controlId: header.controlId }, 'hl7 message parsing failed');
      return ack('AE', '207', 'the message cannot be processed');
    }
    try {
      const outcome = await this.deps.results.ingest(parsed.result);
      log.info(
        {
          controlId: header.controlId,
          resultId: outcome.id,
          duplicate: outcome.duplicate,
          critical: outcome.critical,
          observations: parsed.result.observations.length,
        },
        outcome.duplicate ? 'hl7 result duplicate acknowledged' : 'hl7 result stored',
      );
      return ack('AA');
    } catch (err) {
      log.error({ err, controlId: header.controlId }, 'storing an hl7 result failed');
      return ack('AE', '207', 'the result could not be stored');
    }
  }
}
