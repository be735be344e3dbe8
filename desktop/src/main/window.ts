/**
 * The one application window and its hardening: sandboxed renderer with
 * context isolation and no Node, a strict CSP added to the hub's responses,
 * navigation and new windows denied by default, external links only through
 * the allowlist, every permission request refused.
 */
import { BrowserWindow, session, shell } from 'electron';
import { contentSecurityPolicy, isAllowedExternal, isHubUrl } from './security/web-policy.js';
import type { Log } from './log.js';

export interface WindowOptions {
  hubOrigin: () => string;
  allowedExternal: () => string[];
  preload: string;
  log: Log;
}

/** Installs the session-wide rules once (CSP, permissions). */
export function hardenSession(opts: Pick<WindowOptions, 'hubOrigin' | 'log'>): void {
  const ses = session.defaultSession;
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...(details.responseHeaders ?? {}) };
    if (isHubUrl(details.url, opts.hubOrigin())) {
      for (const k of Object.keys(headers)) {
        if (k.toLowerCase() === 'content-security-policy') delete headers[k];
      }
      headers['Content-Security-Policy'] = [contentSecurityPolicy(opts.hubOrigin())];
    }
    callback({ responseHeaders: headers });
  });
  ses.setPermissionRequestHandler((_wc, permission, callback) => {
    opts.log.warn({ permission }, 'permission request denied');
    callback(false);
  });
  ses.setPermissionCheckHandler(() => false);
}

export function createMainWindow(opts: WindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 400,
    height: 900,
    minWidth: 320,
    show: false,
    title: 'Konsilium',
    autoHideMenuBar: true,
    webPreferences: {
      preload: opts.preload,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      safeDialogs: true,
      spellcheck: false,
    },
  });
  const contents = win.webContents;
  const openOutside = (url: string) => {
    if (isAllowedExternal(url, opts.allowedExternal())) {
      void shell.openExternal(url);
    } else {
      opts.log.warn({ reason: 'not on allowlist' }, 'external link refused');
    }
  };
  contents.on('will-navigate', (event, url) => {
    if (isHubUrl(url, opts.hubOrigin())) return;
    event.preventDefault();
    openOutside(url);
  });
  contents.on('will-redirect', (event, url) => {
    if (!isHubUrl(url, opts.hubOrigin())) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    openOutside(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  win.once('ready-to-show', () => win.show());
  return win;
}
