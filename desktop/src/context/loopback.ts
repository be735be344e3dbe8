/**
 * Loopback HTTP listener for a MIS that can make a local HTTP call but not
 * open a URL or speak FHIRcast. Off unless configured.
 *
 *   POST   /context   {"system","value","display"?,"encounter"?}  → 204
 *   DELETE /context                                               → 204
 *
 * Guarded against the two ways a local listener is usually abused: a web
 * page in the user's browser (any request carrying `Origin`, or a `Host`
 * that is not the loopback address — DNS rebinding — is refused; a simple
 * cross-site form cannot send the required JSON content type nor the secret
 * header) and another local process that does not know the per-install
 * secret (`Authorization: Bearer <secret>`, compared in constant time).
 * Binds to 127.0.0.1 only; any other host is refused at start.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { buildContext, type ContextLog, type ParseResult } from './common.js';

export const LOOPBACK_HOST = '127.0.0.1';
/** Largest request body accepted (bytes). */
export const MAX_LOOPBACK_BODY = 8 * 1024;
/** Shortest secret accepted: 128 bits as hex or base64url. */
export const MIN_SECRET_LENGTH = 22;

/** A fresh per-install secret (256 bits, base64url), for the installer or first start. */
export function generateLoopbackSecret(): string {
  return randomBytes(32).toString('base64url');
}

export const loopbackBodySchema = z
  .object({
    system: z.string().max(512),
    value: z.string().max(128),
    display: z.string().max(256).optional(),
    encounter: z
      .object({ system: z.string().max(512).optional(), value: z.string().max(128) })
      .strict()
      .optional(),
  })
  .strict();

export interface LoopbackOptions {
  port: number;
  secret: string;
  /** Only `127.0.0.1` is accepted; present so a configured host can be refused loudly. */
  host?: string | undefined;
  log: ContextLog;
  now?: (() => Date) | undefined;
  /** A context was posted (already validated) or cleared (`null`). */
  onContext: (result: ParseResult | null) => void;
}

export class LoopbackListener {
  private server: Server | null = null;
  private readonly secretDigest: Buffer;

  constructor(private readonly opts: LoopbackOptions) {
    if ((opts.host ?? LOOPBACK_HOST) !== LOOPBACK_HOST) {
      throw new Error('loopback listener binds to 127.0.0.1 only');
    }
    if (opts.secret.length < MIN_SECRET_LENGTH) {
      throw new Error(`loopback secret must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    this.secretDigest = digest(opts.secret);
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer({ maxHeaderSize: 8 * 1024 }, (req, res) => this.handle(req, res));
    server.requestTimeout = 5000;
    server.headersTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, LOOPBACK_HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => {
      this.opts.log.warn(
        { reason: 'loopback.server_error', err: err.name },
        'loopback listener error',
      );
    });
    this.server = server;
    this.opts.log.info({ port: this.port }, 'loopback context listener started');
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private refuse(res: ServerResponse, status: number, reason: string): void {
    this.opts.log.warn({ reason, status }, 'loopback request refused');
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ error: { code: reason } }));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('connection', 'close');
    if (req.headers.origin !== undefined || req.headers['sec-fetch-site'] !== undefined) {
      req.resume();
      return this.refuse(res, 403, 'loopback.browser_origin');
    }
    const host = (req.headers.host ?? '').toLowerCase();
    if (host !== `${LOOPBACK_HOST}:${this.port}` && host !== `localhost:${this.port}`) {
      req.resume();
      return this.refuse(res, 403, 'loopback.bad_host');
    }
    if (!this.authorized(req.headers.authorization)) {
      req.resume();
      return this.refuse(res, 401, 'loopback.unauthorized');
    }
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/context') {
      req.resume();
      return this.refuse(res, 404, 'loopback.not_found');
    }
    if (req.method === 'DELETE') {
      req.resume();
      this.opts.onContext(null);
      res.writeHead(204).end();
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      res.setHeader('allow', 'POST, DELETE');
      return this.refuse(res, 405, 'loopback.method');
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      return this.refuse(res, 415, 'loopback.content_type');
    }
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > MAX_LOOPBACK_BODY) {
      req.resume();
      return this.refuse(res, 413, 'loopback.too_large');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_LOOPBACK_BODY) {
        done = true;
        this.refuse(res, 413, 'loopback.too_large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      done = true;
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      this.accept(Buffer.concat(chunks), res);
    });
  }

  private accept(body: Buffer, res: ServerResponse): void {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
    } catch {
      return this.refuse(res, 400, 'loopback.bad_json');
    }
    const parsed = loopbackBodySchema.safeParse(json);
    if (!parsed.success) return this.refuse(res, 400, 'loopback.bad_body');
    const result = buildContext(
      'loopback',
      parsed.data,
      'loopback',
      (this.opts.now ?? (() => new Date()))(),
    );
    if (!result.ok) return this.refuse(res, 400, result.reason);
    this.opts.onContext(result);
    res.writeHead(204).end();
  }

  private authorized(header: string | undefined): boolean {
    const m = /^Bearer (\S+)$/i.exec(header ?? '');
    // Compare digests so neither the length nor the content leaks through timing.
    return timingSafeEqual(digest(m?.[1] ?? ''), this.secretDigest) && m !== null;
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
