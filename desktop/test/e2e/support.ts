/**
 * Shared helpers of the browser end-to-end specs: a real demo hub started as a
 * child process, headless Debian Chromium through WebdriverIO, lookups by
 * `data-testid` through shadow roots, sign-in, screenshots and a small REST
 * client for setting up data.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UserView } from '@konsilium/shared';
import { remote } from 'webdriverio';

export type Browser = WebdriverIO.Browser;

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMEDRIVER = '/usr/bin/chromedriver';
export const SHOTS = join(ROOT, 'artifacts', 'screenshots');
export const PASSWORD = 'konsilium-demo';

/** Ends the browser sessions, stops the hub (SIGTERM, waits for exit) and removes the temp folders. */
export async function teardown(
  browsers: (Browser | null | undefined)[],
  hub: { child: ChildProcess } | null | undefined,
  dirs: (string | null | undefined)[],
): Promise<void> {
  await Promise.all(
    browsers.map(async (b) => {
      if (b) await b.deleteSession().catch(() => undefined);
    }),
  );
  if (hub) {
    const child = hub.child;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  for (const dir of dirs) if (dir) rmSync(dir, { recursive: true, force: true });
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

/**
 * Starts `node hub/dist/src/main.js --demo` on a free port; resolves with its URL.
 * `env` adds settings; the demo's MLLP listener gets a free port unless
 * `KONSILIUM_MLLP_PORT` is given (so specs and other hubs on the machine never clash on 2575).
 */
export async function startHub(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess }> {
  const mllpPort = env.KONSILIUM_MLLP_PORT ?? String(await freePort());
  const child = spawn(process.execPath, [join(ROOT, 'hub', 'dist', 'src', 'main.js'), '--demo'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      KONSILIUM_PORT: '0',
      KONSILIUM_HOST: '127.0.0.1',
      KONSILIUM_DATA_DIR: dataDir,
      KONSILIUM_LOG_LEVEL: 'warn',
      ...env,
      KONSILIUM_MLLP_PORT: mllpPort,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`hub did not start:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res({ url: m[1]!, child });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`hub exited with ${code}:\n${out}`));
    });
  });
}

export function openBrowser(profile: string): Promise<Browser> {
  return remote({
    logLevel: 'warn',
    capabilities: {
      browserName: 'chrome',
      'goog:chromeOptions': {
        binary: CHROMIUM,
        args: [
          '--headless=new',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-dev-shm-usage',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          '--window-size=460,900',
          `--user-data-dir=${profile}`,
        ],
      },
      'wdio:chromedriverOptions': { binary: CHROMEDRIVER },
    },
  });
}

/** An element by `data-testid`, looked up through every shadow root. */
export function byId(b: Browser, id: string, extra = '') {
  return b.$(`>>>[data-testid="${id}"]${extra}`);
}

export async function text(b: Browser, id: string, extra = ''): Promise<string> {
  const el = byId(b, id, extra);
  await el.waitForDisplayed({ timeout: 15_000 });
  return el.getText();
}

export async function shot(b: Browser, name: string): Promise<void> {
  await b.pause(250); // let fonts and the last render settle
  await b.saveScreenshot(join(SHOTS, `${name}.png`));
}

export async function signIn(b: Browser, url: string, login: string): Promise<void> {
  await b.url(url);
  await byId(b, 'signin-login').waitForDisplayed({ timeout: 20_000 });
  await byId(b, 'signin-login').setValue(login);
  await byId(b, 'signin-password').setValue(PASSWORD);
  await byId(b, 'signin-submit').click();
  await byId(b, 'nav-conversations').waitForDisplayed({ timeout: 20_000 });
}

export async function api<T>(
  url: string,
  path: string,
  token: string | null,
  body?: unknown,
): Promise<T> {
  const res = await fetch(url + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  assert.ok(res.status < 400, `${path}: ${res.status}`);
  return (await res.json()) as T;
}

/**
 * Skips the spec loudly when Debian chromium or chromedriver is missing (fails
 * instead with KONSILIUM_TEST_REQUIRE_BROWSER=1); checks the web client is built
 * and makes the screenshot folder.
 */
export function requireBrowser(ctx: Mocha.Context, spec: string): void {
  if (!existsSync(CHROMIUM) || !existsSync(CHROMEDRIVER)) {
    const message = `chromium (${CHROMIUM}) or chromedriver (${CHROMEDRIVER}) is not installed`;
    if (process.env.KONSILIUM_TEST_REQUIRE_BROWSER === '1') throw new Error(message);
    console.warn(`\n!!! SKIPPING the ${spec} end-to-end spec: ${message}.\n`);
    ctx.skip();
  }
  assert.ok(
    existsSync(join(ROOT, 'desktop', 'dist', 'web', 'index.html')),
    'the web client is not built: run `node desktop/scripts/build-web.mjs`',
  );
  mkdirSync(SHOTS, { recursive: true });
}

/** Two browsers, each with a fresh profile folder (pushed to `profiles` for teardown). */
export async function openTwoBrowsers(profiles: string[]): Promise<[Browser, Browser]> {
  for (let i = 0; i < 2; i++) profiles.push(mkdtempSync(join(tmpdir(), 'konsilium-chromium-')));
  return Promise.all([openBrowser(profiles[0]!), openBrowser(profiles[1]!)]);
}

/** A session token of the demo administrator. */
export async function adminToken(url: string): Promise<string> {
  const admin = await api<{ token: string }>(url, '/api/v1/auth/login', null, {
    login: 'admin',
    password: PASSWORD,
  });
  return admin.token;
}

/** Signs the current user out (settings) and `login` in. */
export async function switchUser(b: Browser, url: string, login: string): Promise<void> {
  await byId(b, 'nav-settings').click();
  await byId(b, 'settings-signout').click();
  await signIn(b, url, login);
}

export interface TwoBrowsers {
  /** The demo hub's data directory (set once the `before` hook ran). */
  dataDir: string;
  /** The two browsers and the hub's URL; only inside a test. */
  ready(): { A: Browser; B: Browser; url: string };
}

/**
 * Registers the `before`/`after` hooks of a two-browser spec: checks the
 * browser is there, starts a demo hub over a fresh data directory (`prepare`
 * may put files in it first; `env` adds hub settings), opens two browsers at
 * the given viewports; afterwards ends them, stops the hub and removes the folders.
 */
export function twoBrowserSpec(opts: {
  spec: string;
  prefix: string;
  viewports: [{ width: number; height: number }, { width: number; height: number }];
  prepare?: (dataDir: string) => void;
  env?: () => Promise<Record<string, string>>;
}): TwoBrowsers {
  let hub: { url: string; child: ChildProcess } | null = null;
  let a: Browser | null = null;
  let b: Browser | null = null;
  const profiles: string[] = [];
  const session: TwoBrowsers = {
    dataDir: '',
    ready: () => ({ A: a!, B: b!, url: hub!.url }),
  };
  before(async function () {
    requireBrowser(this, opts.spec);
    session.dataDir = mkdtempSync(join(tmpdir(), opts.prefix));
    opts.prepare?.(session.dataDir);
    hub = await startHub(session.dataDir, opts.env ? await opts.env() : {});
    [a, b] = await openTwoBrowsers(profiles);
    await a.setViewport(opts.viewports[0]);
    await b.setViewport(opts.viewports[1]);
  });
  after(() => teardown([a, b], hub, [session.dataDir, ...profiles]));
  return session;
}

/** A demo hospital user found by the directory search for `q`, by login (asserts it is there). */
export async function demoUser(
  url: string,
  token: string,
  q: string,
  login: string,
): Promise<UserView> {
  const page = await api<{ items: UserView[] }>(
    url,
    `/api/v1/directory/users?q=${encodeURIComponent(q)}&limit=20`,
    token,
  );
  const u = page.items.find((x) => x.login === login);
  assert.ok(u, `the demo hospital has ${login}`);
  return u;
}
