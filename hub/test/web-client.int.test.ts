import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startTestHub, type TestHub } from './support/hub.js';

/** A raw GET: `fetch` would normalise `..` away before it reaches the hub. */
function rawGet(
  base: string,
  path: string,
  method = 'GET',
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web client served by the hub (sqlite)', function () {
  this.timeout(60_000);
  let base: string;
  let web: string;
  let t: TestHub;

  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'konsilium-web-'));
    web = join(base, 'web');
    mkdirSync(join(web, 'fonts'), { recursive: true });
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>Консилиум</title>');
    writeFileSync(join(web, 'app-ABCD1234.js'), 'export {};');
    writeFileSync(join(web, 'app.css'), 'body{}');
    writeFileSync(join(web, 'fonts', 'inter-cyrillic-400-normal.woff2'), 'wOF2');
    writeFileSync(join(base, 'secret.txt'), 'outside the web root');
    symlinkSync(join(base, 'secret.txt'), join(web, 'linked.txt'));
    t = await startTestHub('sqlite', {
      webClientDir: web,
      allowedOrigins: ['https://mis.hospital.local'],
    });
  });

  after(async () => {
    await t.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('serves index.html at / with no-cache, nosniff and a strict CSP', async () => {
    const res = await fetch(t.hub.url() + '/');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const host = new URL(t.hub.url()).host;
    assert.match(csp, new RegExp(`connect-src 'self' ws://${host} wss://${host}`));
    assert.match(csp, /frame-ancestors 'self' https:\/\/mis\.hospital\.local/);
    assert.match(await res.text(), /Консилиум/);
  });

  it('gives hashed assets a long cache and the right content types', async () => {
    const js = await fetch(t.hub.url() + '/app-ABCD1234.js');
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const css = await fetch(t.hub.url() + '/app.css');
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal(css.headers.get('cache-control'), 'no-cache');
    const font = await fetch(t.hub.url() + '/fonts/inter-cyrillic-400-normal.woff2');
    assert.equal(font.headers.get('content-type'), 'font/woff2');
    assert.equal(await font.text(), 'wOF2');
  });

  it('answers unknown non-API paths with the app and missing assets with 404', async () => {
    const deep = await fetch(t.hub.url() + '/conversations/123');
    assert.equal(deep.status, 200);
    assert.match(await deep.text(), /Консилиум/);
    const asset = await fetch(t.hub.url() + '/app-ZZZZ9999.js');
    assert.equal(asset.status, 404);
  });

  it('leaves the API alone: unknown API paths stay JSON 404s', async () => {
    const res = await t.api.get('/api/v1/nothing-here');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'http.not_found');
    const health = await t.api.get('/healthz');
    assert.equal(health.status, 200);
  });

  it('never leaves the directory (.., encoded .., backslashes, NUL, symlinks)', async () => {
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/fonts/..%2f..%2fsecret.txt',
      '/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/secret.txt%00.js',
      '/%E0%A4%A',
      '/linked.txt',
    ]) {
      const res = await rawGet(t.hub.url(), path);
      assert.doesNotMatch(res.body, /outside the web root/, path);
      assert.ok(
        res.status === 404 || res.status === 200 || res.status === 400,
        `${path}: ${res.status}`,
      );
      if (res.status === 200) assert.match(res.body, /Консилиум/, path);
    }
  });

  it('HEAD answers headers only; other methods are not served', async () => {
    const head = await rawGet(t.hub.url(), '/app.css', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(head.headers['content-type'], 'text/css; charset=utf-8');
    assert.equal(head.headers['content-length'], '6');
    const post = await fetch(t.hub.url() + '/', { method: 'POST' });
    assert.equal(post.status, 404);
    assert.doesNotMatch(await post.text(), /Консилиум/);
  });

  it("accepts a WebSocket from the hub's own origin and refuses a foreign one", async () => {
    const url = t.hub.url().replace(/^http/, 'ws') + '/api/v1/ws';
    const open = (origin: string) =>
      new Promise<number | 'open'>((resolve) => {
        const ws = new WebSocket(url, { origin });
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => undefined);
      });
    assert.equal(await open(t.hub.url()), 'open');
    assert.equal(await open('https://mis.hospital.local'), 'open');
    assert.equal(await open('https://evil.example'), 403);
  });
});

describe('web client absent (sqlite)', function () {
  this.timeout(60_000);
  it('/ answers 404 with a clear message; the API still works', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'konsilium-noweb-'));
    const t = await startTestHub('sqlite', { webClientDir: join(empty, 'missing') });
    try {
      const res = await fetch(t.hub.url() + '/');
      assert.equal(res.status, 404);
      assert.match(await res.text(), /web client is not installed/);
      const api = await t.api.get('/api/v1/me', { token: t.admin.token });
      assert.equal(api.status, 200);
    } finally {
      await t.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
