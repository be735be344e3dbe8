import assert from 'node:assert/strict';
import { IPC, IPC_PAYLOADS, type IpcChannel } from '../../src/common/ipc.js';
import {
  IpcRouter,
  type IpcEventLike,
  type IpcMainLike,
} from '../../src/main/security/ipc-router.js';
import {
  contentSecurityPolicy,
  httpOrigin,
  isAllowedExternal,
  isHubUrl,
  isTrustedSender,
} from '../../src/main/security/web-policy.js';

const HUB = 'https://konsilium.gkb1.local';

/** Records handlers the way Electron's ipcMain does and invokes them like ipcRenderer.invoke. */
class RecordingIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  async invoke(
    channel: string,
    frame: IpcEventLike['senderFrame'],
    ...args: unknown[]
  ): Promise<unknown> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`No handler registered for '${channel}'`);
    return h({ senderFrame: frame }, ...args);
  }
}

const top = (url: string) => ({ url, parent: null });

function setup() {
  const ipc = new RecordingIpcMain();
  const warnings: Record<string, unknown>[] = [];
  const router = new IpcRouter(ipc, () => HUB, { warn: (f) => warnings.push(f) });
  const calls: { channel: string; payload: unknown }[] = [];
  for (const channel of Object.values(IPC) as IpcChannel[]) {
    router.handle(channel, (payload: unknown) => {
      calls.push({ channel, payload });
      return 'handled';
    });
  }
  return { ipc, router, warnings, calls };
}

describe('desktop IPC: one validating router', () => {
  it('every channel is named ks:<domain>:<verb> and has a payload schema', () => {
    for (const c of Object.values(IPC)) {
      assert.match(c, /^ks:[a-z]+:[a-z-]+$/);
      assert.ok(IPC_PAYLOADS[c], c);
    }
  });

  it('runs the handler for a valid call from the hub frame', async () => {
    const { ipc, calls } = setup();
    assert.equal(await ipc.invoke(IPC.notifyBadge, top(`${HUB}/#/inbox`), { count: 3 }), 'handled');
    assert.equal(await ipc.invoke(IPC.settingsGet, top(`${HUB}/`)), 'handled');
    assert.deepEqual(calls, [
      { channel: IPC.notifyBadge, payload: { count: 3 } },
      { channel: IPC.settingsGet, payload: undefined },
    ]);
  });

  const foreign: [string, IpcEventLike['senderFrame']][] = [
    ['another origin', top('https://evil.example/')],
    ['a lookalike host', top('https://konsilium.gkb1.local.evil.example/')],
    ['the hub over plain http', top('http://konsilium.gkb1.local/')],
    ['another port', top('https://konsilium.gkb1.local:8443/')],
    ['a file: page', top('file:///C:/Users/x/page.html')],
    ['about:blank', top('about:blank')],
    ['an iframe of the hub', { url: `${HUB}/`, parent: {} }],
    ['a destroyed frame', null],
  ];
  for (const [name, frame] of foreign) {
    it(`refuses a call from ${name} without running the handler`, async () => {
      const { ipc, calls, warnings } = setup();
      await assert.rejects(ipc.invoke(IPC.sessionLoadToken, frame), {
        message: 'ipc.forbidden_sender',
      });
      await assert.rejects(ipc.invoke(IPC.sessionClear, frame), {
        message: 'ipc.forbidden_sender',
      });
      assert.deepEqual(calls, []);
      assert.equal(warnings.length, 2);
    });
  }

  const hostile: [IpcChannel, unknown[], string][] = [
    [IPC.notifyBadge, [{ count: -1 }], 'negative count'],
    [IPC.notifyBadge, [{ count: 1.5 }], 'fractional count'],
    [IPC.notifyBadge, [{ count: '3' }], 'count as text'],
    [IPC.notifyBadge, [{ count: 3, extra: true }], 'unknown field'],
    [IPC.notifyBadge, [], 'missing payload'],
    [IPC.notifyBadge, [{ count: 3 }, 'second arg'], 'a second argument'],
    [IPC.alertsOverlay, [{ messageIds: 'm1' }], 'overlay ids not a list'],
    [IPC.alertsOverlay, [{ messageIds: [''] }], 'empty overlay id'],
    [IPC.alertsOverlay, [{ messageIds: ['x'.repeat(129)] }], 'huge overlay id'],
    [
      IPC.alertsOverlay,
      [{ messageIds: Array.from({ length: 501 }, (_, i) => `m${i}`) }],
      'too many overlay ids',
    ],
    [IPC.alertsOverlay, [{ messageIds: [], extra: 1 }], 'unknown overlay field'],
    [IPC.alertsOverlay, [{ messageIds: [], armed: 'yes' }], 'armed not a boolean'],
    [IPC.sessionSaveToken, [{ token: 'short' }], 'too short token'],
    [IPC.sessionSaveToken, [{ token: 'x'.repeat(10_000) }], 'huge token'],
    [IPC.sessionSaveToken, ['x'.repeat(40)], 'token not wrapped'],
    [IPC.sessionClear, [{ everything: true }], 'payload on a no-payload channel'],
    [IPC.settingsSet, [{ key: '__proto__', value: 1 }], 'prototype key'],
    [IPC.settingsSet, [{ key: 'hubUrl', value: { toString: 'x' } }], 'object value'],
    [IPC.settingsSet, [{ key: 'dockWidth', value: Number.NaN }], 'NaN value'],
    [IPC.notifyShow, [{ id: 'm1', priority: 'panic', title: 't', body: 'b' }], 'unknown priority'],
    [
      IPC.notifyShow,
      [{ id: 'm1', priority: 'urgent', title: 't', body: 'b'.repeat(5000) }],
      'huge body',
    ],
    [IPC.shellOpenExternal, [{ url: 42 }], 'url as number'],
    [
      IPC.shellOpenExternal,
      [JSON.parse('{"url":"https://a","__proto__":{"polluted":1}}')],
      'prototype pollution',
    ],
  ];
  for (const [channel, args, name] of hostile) {
    it(`refuses ${name} on ${channel}`, async () => {
      const { ipc, calls, warnings } = setup();
      await assert.rejects(ipc.invoke(channel, top(`${HUB}/`), ...args), {
        message: 'ipc.invalid_payload',
      });
      assert.deepEqual(calls, []);
      assert.equal(warnings[0]?.reason, 'ipc.invalid_payload');
      assert.ok(!JSON.stringify(warnings).includes('xxxx'), 'payload is not logged');
    });
  }

  it('follows the trusted origin when the hub URL setting changes, and disposes its handlers', async () => {
    const ipc = new RecordingIpcMain();
    let origin = HUB;
    const router = new IpcRouter(ipc, () => origin, { warn: () => undefined });
    router.handle(IPC.contextGet, () => 'ok');
    assert.throws(() => router.handle(IPC.contextGet, () => 'again'), /duplicate/);
    origin = 'https://new-hub.gkb1.local';
    await assert.rejects(ipc.invoke(IPC.contextGet, top(`${HUB}/`)), {
      message: 'ipc.forbidden_sender',
    });
    assert.equal(await ipc.invoke(IPC.contextGet, top('https://new-hub.gkb1.local/')), 'ok');
    router.dispose();
    assert.equal(ipc.handlers.size, 0);
  });
});

describe('desktop web policy: navigation, external links, CSP', () => {
  it('recognizes only http(s) origins without credentials', () => {
    assert.equal(httpOrigin('https://konsilium.gkb1.local/a?b#c'), HUB);
    assert.equal(httpOrigin('javascript:alert(1)'), null);
    assert.equal(httpOrigin('https://user:pw@konsilium.gkb1.local/'), null);
    assert.equal(httpOrigin('not a url'), null);
    assert.ok(isHubUrl(`${HUB}/#/c/1`, HUB));
    assert.ok(!isHubUrl('https://konsilium.gkb1.local@evil.example/', HUB));
  });

  it('opens external links only for allowlisted origins', () => {
    const allow = ['https://wiki.gkb1.local'];
    assert.ok(isAllowedExternal('https://wiki.gkb1.local/page?x=1', allow));
    for (const url of [
      'https://wiki.gkb1.local.evil.example/',
      'http://wiki.gkb1.local/',
      'file:///C:/Windows/System32/calc.exe',
      'javascript:alert(1)',
      'ms-msdt:/id PCWDiagnostic',
      'smb://wiki.gkb1.local/share',
      'https://x@wiki.gkb1.local/',
      `https://wiki.gkb1.local/${'a'.repeat(3000)}`,
    ]) {
      assert.ok(!isAllowedExternal(url, allow), url);
    }
    assert.ok(!isAllowedExternal('https://wiki.gkb1.local/', []));
  });

  it('builds a CSP that allows only the hub for scripts and sockets', () => {
    const csp = contentSecurityPolicy(HUB);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /connect-src 'self' wss:\/\/konsilium\.gkb1\.local(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /object-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-eval/);
    assert.match(
      contentSecurityPolicy('http://127.0.0.1:8080'),
      /connect-src 'self' ws:\/\/127\.0\.0\.1:8080/,
    );
  });

  it('trusts only the top-level hub frame', () => {
    assert.ok(isTrustedSender(top(`${HUB}/`), HUB));
    assert.ok(!isTrustedSender({ url: `${HUB}/`, parent: {} }, HUB));
    assert.ok(!isTrustedSender(undefined, HUB));
  });
});
