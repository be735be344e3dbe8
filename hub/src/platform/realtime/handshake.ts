import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** The one WebSocket endpoint. Query strings are ignored (tokens never go in URLs). */
export const WS_PATH = '/api/v1/ws';

/** The path of an upgrade request, without its query string. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function normalise(origin: string): string | null {
  try {
    return new URL(origin).origin.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * Browser origin allow-list: requests without `Origin` (desktop app, scripts)
 * pass; so does the hub's own origin (`http(s)://<Host>`, the UI it serves) and
 * any of `allowedOrigins`. Everything else is a cross-site page and is refused.
 */
export function originAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const header = req.headers.origin;
  if (header === undefined) return true;
  const origin = normalise(header);
  if (origin === null) return false;
  const host = req.headers.host?.toLowerCase();
  if (host && (origin === `http://${host}` || origin === `https://${host}`)) return true;
  return allowed.some((a) => normalise(a) === origin);
}

const REASONS: Record<number, string> = {
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
};

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
export function refuseUpgrade(socket: Duplex, status: 403 | 404 | 503): void {
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
  );
}
