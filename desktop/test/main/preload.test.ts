import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import type { KonsiliumBridge } from '../../src/common/bridge.js';
import { IPC, IPC_EVENTS, IPC_PAYLOADS, type IpcChannel } from '../../src/common/ipc.js';

const DESKTOP = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Bundles the preload exactly as scripts/build-preload.mjs does and runs it against a fake `electron`. */
async function loadPreload() {
  const out = await build({
    entryPoints: [join(DESKTOP, 'src', 'preload', 'preload.ts')],
    bundle: true,
    format: 'cjs',
    platform: 'browser',
    target: 'es2022',
    external: ['electron'],
    write: false,
    tsconfig: join(DESKTOP, 'tsconfig.node.json'),
    logLevel: 'silent',
  });
  const exposed: [string, unknown][] = [];
  const invokes: unknown[][] = [];
  const listeners = new Map<string, ((...a: unknown[]) => void)[]>();
  const electron = {
    contextBridge: { exposeInMainWorld: (name: string, api: unknown) => exposed.push([name, api]) },
    ipcRenderer: {
      invoke: async (...args: unknown[]) => {
        invokes.push(args);
        return args[0] === IPC.contextGet ? { state: 'none', context: null } : null;
      },
      on: (ch: string, fn: (...a: unknown[]) => void) =>
        listeners.set(ch, [...(listeners.get(ch) ?? []), fn]),
      removeListener: (ch: string, fn: (...a: unknown[]) => void) =>
        listeners.set(
          ch,
          (listeners.get(ch) ?? []).filter((f) => f !== fn),
        ),
    },
  };
  const required: string[] = [];
  const module = { exports: {} };
  runInNewContext(out.outputFiles[0]!.text, {
    module,
    exports: module.exports,
    require: (id: string) => {
      required.push(id);
      if (id === 'electron') return electron;
      throw new Error(`preload may not require ${id}`);
    },
  });
  return { exposed, invokes, listeners, required };
}

describe('desktop preload: exactly one bridge object', () => {
  it('exposes only window.konsilium with the KonsiliumBridge members and requires nothing but electron', async () => {
    const { exposed, required } = await loadPreload();
    assert.deepEqual(required, ['electron']);
    assert.equal(exposed.length, 1);
    assert.equal(exposed[0]![0], 'konsilium');
    const members: (keyof KonsiliumBridge)[] = [
      'version',
      'onPatientContext',
      'loadSessionToken',
      'saveSessionToken',
      'clearSession',
      'notify',
      'setUnreadBadge',
      'setOverlayAlerts',
      'getSettings',
      'setSetting',
      'openExternal',
      'onOpenConversation',
    ];
    assert.deepEqual(Object.keys(exposed[0]![1] as object).sort(), [...members].sort());
  });

  it('each member invokes its ks: channel with a payload its schema accepts', async () => {
    const { exposed, invokes } = await loadPreload();
    const bridge = exposed[0]![1] as KonsiliumBridge;
    await bridge.loadSessionToken();
    await bridge.saveSessionToken('t'.repeat(32));
    await bridge.clearSession();
    await bridge.notify({ id: 'm1', priority: 'critical', title: 't', body: 'b' });
    await bridge.setUnreadBadge(4);
    await bridge.setOverlayAlerts!(['m1'], true);
    await bridge.getSettings();
    await bridge.setSetting('dockMode', 'left');
    await bridge.openExternal('https://wiki.gkb1.local/');
    assert.deepEqual(
      invokes.map((a) => a[0]),
      [
        IPC.sessionLoadToken,
        IPC.sessionSaveToken,
        IPC.sessionClear,
        IPC.notifyShow,
        IPC.notifyBadge,
        IPC.alertsOverlay,
        IPC.settingsGet,
        IPC.settingsSet,
        IPC.shellOpenExternal,
      ],
    );
    for (const [channel, ...args] of invokes) {
      assert.ok(args.length <= 1, `${String(channel)}: one payload at most`);
      const r = IPC_PAYLOADS[channel as IpcChannel].safeParse(args[0]);
      assert.ok(r.success, `${String(channel)} payload passes its schema`);
    }
  });

  it('onPatientContext delivers the current state, then pushes, and unsubscribes', async () => {
    const { exposed, listeners } = await loadPreload();
    const bridge = exposed[0]![1] as KonsiliumBridge;
    const seen: unknown[] = [];
    const off = bridge.onPatientContext((u) => seen.push(u.state));
    await new Promise((r) => setImmediate(r));
    const push = listeners.get(IPC_EVENTS.contextChanged)![0]!;
    push({}, { state: 'lost', context: null, reason: 'fhircast.disconnected' });
    off();
    push({}, { state: 'active', context: null });
    assert.deepEqual(seen, ['none', 'lost']);
    assert.equal(listeners.get(IPC_EVENTS.contextChanged)!.length, 0);
  });

  it('onOpenConversation passes only string ids from notification clicks', async () => {
    const { exposed, listeners } = await loadPreload();
    const bridge = exposed[0]![1] as KonsiliumBridge;
    const ids: string[] = [];
    const off = bridge.onOpenConversation!((id) => ids.push(id));
    const push = listeners.get(IPC_EVENTS.conversationOpen)![0]!;
    push({}, 'c-1');
    push({}, { toString: () => 'x' });
    off();
    assert.deepEqual(ids, ['c-1']);
    assert.equal(listeners.get(IPC_EVENTS.conversationOpen)!.length, 0, 'unsubscribed');
  });
});
