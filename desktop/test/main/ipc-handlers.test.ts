import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DesktopNotification } from '../../src/common/bridge.js';
import { IPC } from '../../src/common/ipc.js';
import { ConfigStore } from '../../src/main/config/config-store.js';
import { registerIpcHandlers } from '../../src/main/ipc-handlers.js';
import {
  IpcRouter,
  type IpcEventLike,
  type IpcMainLike,
} from '../../src/main/security/ipc-router.js';
import { TokenStore, type SafeStorageLike } from '../../src/main/session/token-store.js';

const HUB = 'https://konsilium.gkb1.local';
const frame = { url: `${HUB}/`, parent: null };

class RecordingIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void {
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    return this.handlers.get(channel)!({ senderFrame: frame }, ...args);
  }
}

const safe: SafeStorageLike = {
  isEncryptionAvailable: () => true,
  encryptString: (s) => Buffer.from(Buffer.from(s).map((b) => b ^ 0x33)),
  decryptString: (b) => Buffer.from(b.map((x) => x ^ 0x33)).toString(),
  getSelectedStorageBackend: () => 'gnome_libsecret',
};

describe('desktop IPC handlers: what each bridge call does in the main process', () => {
  let dir: string;
  let ipc: RecordingIpcMain;
  let config: ConfigStore;
  let tokens: TokenStore;
  const events: string[] = [];
  const notified: DesktopNotification[] = [];
  const opened: string[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ks-ipc-'));
    events.length = 0;
    notified.length = 0;
    opened.length = 0;
    ipc = new RecordingIpcMain();
    config = new ConfigStore({
      userDir: dir,
      readPolicy: async () => ({
        hubUrl: `${HUB}/`,
        'externalLinks.allow': 'https://wiki.gkb1.local',
        'context.loopback.secret': 'p'.repeat(30),
      }),
    });
    await config.load();
    tokens = new TokenStore(safe, dir, 'linux');
    registerIpcHandlers(new IpcRouter(ipc, () => HUB, { warn: () => undefined }), {
      tokens,
      config,
      signedIn: async (t) => void events.push(`signedIn:${t.length}`),
      wipe: async (reason) => {
        events.push(`wipe:${reason}`);
        await tokens.clear();
      },
      notify: (n) => notified.push(n),
      setUnread: (n) => events.push(`unread:${n}`),
      setOverlay: (ids, armed) => events.push(`overlay:${ids.join(',')}:${armed}`),
      currentContext: () => ({ state: 'none', context: null }),
      openExternal: async (url) => void opened.push(url),
    });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('registers a handler for every channel', () => {
    assert.deepEqual([...ipc.handlers.keys()].sort(), Object.values(IPC).sort());
  });

  it('saves the session token encrypted, starts the alert connection, and wipes it on sign-out', async () => {
    const token = 'ks_' + 'a'.repeat(40);
    await ipc.invoke(IPC.sessionSaveToken, { token });
    assert.equal(await ipc.invoke(IPC.sessionLoadToken), token);
    assert.ok(!(await readFile(join(dir, 'session.bin'))).toString('latin1').includes(token));
    await ipc.invoke(IPC.sessionClear);
    assert.deepEqual(events, ['signedIn:43', 'wipe:sign-out']);
    assert.equal(await new TokenStore(safe, dir, 'linux').load(), null);
  });

  it('reports settings with locks and never hands the loopback secret to the page', async () => {
    const s = (await ipc.invoke(IPC.settingsGet)) as {
      values: Record<string, unknown>;
      locked: string[];
    };
    assert.equal(s.values.hubUrl, `${HUB}/`);
    assert.equal(s.values['context.loopback.secret'], '••••••');
    assert.deepEqual(s.locked.sort(), ['context.loopback.secret', 'externalLinks.allow', 'hubUrl']);
  });

  it('changes an open setting and refuses a locked one or a bad value', async () => {
    await ipc.invoke(IPC.settingsSet, { key: 'dockMode', value: 'left' });
    assert.equal(config.current.values.dockMode, 'left');
    await assert.rejects(
      ipc.invoke(IPC.settingsSet, { key: 'hubUrl', value: 'https://evil.example/' }),
      {
        code: 'settings.locked',
      },
    );
    await assert.rejects(ipc.invoke(IPC.settingsSet, { key: 'dockWidth', value: 10_000 }), {
      code: 'settings.invalid',
    });
    assert.equal(config.current.values.hubUrl, `${HUB}/`);
  });

  it("accepts the web client's names for settings it mirrors (ui.locale → language, ui.sound)", async () => {
    await ipc.invoke(IPC.settingsSet, { key: 'ui.locale', value: 'en' });
    await ipc.invoke(IPC.settingsSet, { key: 'ui.sound', value: false });
    await ipc.invoke(IPC.settingsSet, { key: 'ui.theme', value: 'contrast' });
    const v = config.current.values;
    assert.deepEqual(
      [v.language, v['notifications.sound'], v['ui.theme']],
      ['en', false, 'contrast'],
    );
    await assert.rejects(ipc.invoke(IPC.settingsSet, { key: 'ui.theme', value: 'neon' }), {
      code: 'settings.invalid',
    });
    await assert.rejects(ipc.invoke(IPC.settingsSet, { key: 'ui.unknown', value: 1 }), {
      message: 'ipc.invalid_payload',
    });
  });

  it('opens only allowlisted links', async () => {
    await ipc.invoke(IPC.shellOpenExternal, { url: 'https://wiki.gkb1.local/protocols/sepsis' });
    await assert.rejects(ipc.invoke(IPC.shellOpenExternal, { url: 'https://evil.example/' }), {
      message: 'shell.link_not_allowed',
    });
    await assert.rejects(ipc.invoke(IPC.shellOpenExternal, { url: 'file:///etc/passwd' }), {
      message: 'shell.link_not_allowed',
    });
    assert.deepEqual(opened, ['https://wiki.gkb1.local/protocols/sepsis']);
  });

  it('passes notifications, badge counts and the patient context through', async () => {
    await ipc.invoke(IPC.notifyShow, { id: 'm1', priority: 'urgent', title: 't', body: 'b' });
    await ipc.invoke(IPC.notifyBadge, { count: 7 });
    await ipc.invoke(IPC.alertsOverlay, { messageIds: ['m1', 'm2'] });
    await ipc.invoke(IPC.alertsOverlay, { messageIds: [], armed: true });
    assert.deepEqual(await ipc.invoke(IPC.contextGet), { state: 'none', context: null });
    assert.deepEqual(notified, [{ id: 'm1', priority: 'urgent', title: 't', body: 'b' }]);
    assert.deepEqual(events, ['unread:7', 'overlay:m1,m2:false', 'overlay::true']);
  });
});
