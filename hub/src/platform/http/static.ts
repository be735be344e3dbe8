import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Middleware } from 'koa';

/**
 * Serves the built web client (the Lit UI, `desktop/dist/web`) at `/`: GET and
 * HEAD only, no path outside the directory, `index.html` for `/` and for any
 * unknown non-API path (the UI routes itself), long caching for content-hashed
 * assets and `no-cache` for the rest, and a strict Content-Security-Policy.
 * API paths (`/api/…`) and the health probes are never answered here.
 */

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** esbuild's `[name]-[hash]` file names: safe to cache for a year. */
const HASHED = /-[A-Z0-9]{8}\.[a-z0-9]+$/;

/** Paths the hub's own routes own; a miss there is the API's 404, never the UI. */
function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/') || path === '/healthz' || path === '/readyz';
}

/**
 * Where the web client lives: the configured directory, else the repository's
 * `desktop/dist/web` next to this hub package when it exists; null when none.
 */
export function resolveWebClientDir(configured: string | undefined): string | null {
  if (configured !== undefined) return resolve(configured);
  // hub/dist/src/platform/http → repository root is five levels up.
  const here = dirname(fileURLToPath(import.meta.url));
  const candidate = resolve(here, '..', '..', '..', '..', '..', 'desktop', 'dist', 'web');
  return existsSync(join(candidate, 'index.html')) ? candidate : null;
}

/** The Content-Security-Policy of the web client's pages. */
export function webClientCsp(host: string, frameAncestors: readonly string[]): string {
  // Host comes from the request; keep only characters a host:port can have.
  const safeHost = /^[A-Za-z0-9.\-:[\]]{1,255}$/.test(host) ? host : null;
  const ws = safeHost ? ` ws://${safeHost} wss://${safeHost}` : '';
  const ancestors = frameAncestors.filter((o) => /^https?:\/\/[A-Za-z0-9.\-:[\]]+$/.test(o));
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    `connect-src 'self'${ws}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
    `frame-ancestors 'self'${ancestors.map((o) => ` ${o}`).join('')}`,
  ].join('; ');
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root + sep);
}

/** The path with symlinks resolved (a link inside the directory must not lead out of it). */
function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function realRoot(root: string): string {
  return realOrSelf(root);
}

export interface WebClientOptions {
  /** The built client, or null when there is none (then `/` explains how to get one). */
  dir: string | null;
  /** Origins that may embed the client in a frame (the MIS pages: `allowedOrigins`). */
  frameAncestors: readonly string[];
}

const MISSING =
  'The Konsilium web client is not installed on this hub. Build it with ' +
  '`node desktop/scripts/build-web.mjs` (or `npm run build`), or point ' +
  'KONSILIUM_WEB_CLIENT_DIR at a built copy. The API is unaffected.\n';

/** Koa middleware serving the web client; placed after the API routes. */
export function webClient(options: WebClientOptions): Middleware {
  const root = options.dir === null ? null : resolve(options.dir);
  return async (ctx, next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || isApiPath(ctx.path)) {
      await next();
      return;
    }
    if (root === null || !existsSync(join(root, 'index.html'))) {
      ctx.status = 404;
      ctx.type = 'text/plain; charset=utf-8';
      ctx.body = MISSING;
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(ctx.path);
    } catch {
      decoded = '\0';
    }
    let file: string | null = null;
    if (!decoded.includes('\0') && !decoded.includes('\\')) {
      const candidate = resolve(root, '.' + decoded);
      if (inside(root, candidate) && inside(realRoot(root), realOrSelf(candidate))) {
        const st = statSync(candidate, { throwIfNoEntry: false });
        if (st?.isFile()) file = candidate;
        else if (st?.isDirectory() && existsSync(join(candidate, 'index.html'))) {
          file = join(candidate, 'index.html');
        }
      }
    }
    // Unknown paths get the app (it routes itself), except for missing files with an
    // extension: a stale asset must be a 404, never HTML served as script.
    if (file === null) {
      if (extname(decoded) !== '') {
        await next();
        return;
      }
      file = join(root, 'index.html');
    }
    const st = statSync(file);
    const name = file.slice(file.lastIndexOf(sep) + 1);
    const isHtml = extname(file) === '.html';
    ctx.status = 200;
    ctx.type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    ctx.length = st.size;
    ctx.lastModified = st.mtime;
    ctx.set(
      'Cache-Control',
      HASHED.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache',
    );
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    if (isHtml) {
      ctx.set('Content-Security-Policy', webClientCsp(ctx.host, options.frameAncestors));
      if (options.frameAncestors.length === 0) ctx.set('X-Frame-Options', 'SAMEORIGIN');
    }
    if (ctx.method === 'HEAD') {
      // Koa drops a null body's type and length: set them again for the HEAD answer.
      ctx.body = null;
      ctx.status = 200;
      ctx.type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
      ctx.length = st.size;
    } else {
      ctx.body = createReadStream(file);
    }
  };
}
