/**
 * What the renderer may load, navigate to and open, as pure functions. The
 * window shows the hub's web client; only the hub's origin is trusted (for
 * navigation, IPC senders and the CSP). Links elsewhere open in the system
 * browser only if their origin is on the allowlist from settings.
 */

/** The origin (`https://host:port`) of an http(s) URL, or null for anything else. */
export function httpOrigin(url: string): string | null {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    if (u.username || u.password) return null;
    return u.origin;
  } catch {
    return null;
  }
}

/** Whether `url` is a page of the trusted hub origin (navigation inside the web client). */
export function isHubUrl(url: string, hubOrigin: string): boolean {
  return httpOrigin(url) === hubOrigin;
}

/**
 * Whether a link may be handed to the system browser: http(s) only, no
 * credentials in the URL, origin exactly on the allowlist. Everything else
 * (file:, javascript:, custom protocols, lookalike hosts) is refused.
 */
export function isAllowedExternal(url: string, allowedOrigins: readonly string[]): boolean {
  if (url.length > 2048) return false;
  const origin = httpOrigin(url);
  return origin !== null && allowedOrigins.includes(origin);
}

/**
 * The Content-Security-Policy the shell adds to the hub's responses: scripts,
 * styles, fonts and images from the hub only; the realtime socket and REST to
 * the hub only; no plugins, frames or form posts elsewhere.
 */
export function contentSecurityPolicy(hubOrigin: string): string {
  const ws = hubOrigin.replace(/^http/, 'ws');
  return [
    "default-src 'none'",
    "script-src 'self'",
    // Lit falls back to <style> elements where constructable stylesheets are missing.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "media-src 'self' blob:",
    `connect-src 'self' ${ws}`,
    "object-src 'none'",
    "frame-src 'none'",
    "worker-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The sender of an IPC call as Electron reports it (`event.senderFrame`), structurally. */
export interface IpcSenderFrame {
  url: string;
  /** Null for the top-level frame. */
  parent: unknown;
}

/** Only the top-level frame showing the hub's web client may call the shell. */
export function isTrustedSender(
  frame: IpcSenderFrame | null | undefined,
  hubOrigin: string,
): boolean {
  if (!frame || frame.parent !== null) return false;
  return isHubUrl(frame.url, hubOrigin);
}
