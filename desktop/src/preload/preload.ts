/**
 * The preload: exposes exactly one object, `window.konsilium` (the
 * {@link KonsiliumBridge}), to the sandboxed renderer. Every member is a thin
 * `invoke` on a `ks:<domain>:<verb>` channel; the main process validates the
 * sender and the payload. No Electron or Node object reaches the page.
 * Bundled to one CommonJS file (`scripts/build-preload.mjs`) because sandboxed
 * preloads cannot load modules.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { KonsiliumBridge } from '../common/bridge.js';
import { IPC, IPC_EVENTS } from '../common/ipc.js';
import type { PatientContextUpdate } from '../common/patient-context.js';

const bridge: KonsiliumBridge = {
  version: 1,
  onPatientContext(listener) {
    let live = true;
    const handler = (_e: IpcRendererEvent, update: PatientContextUpdate) => {
      if (live) listener(update);
    };
    ipcRenderer.on(IPC_EVENTS.contextChanged, handler);
    void (ipcRenderer.invoke(IPC.contextGet) as Promise<PatientContextUpdate>).then((u) => {
      if (live) listener(u);
    });
    return () => {
      live = false;
      ipcRenderer.removeListener(IPC_EVENTS.contextChanged, handler);
    };
  },
  loadSessionToken: () => ipcRenderer.invoke(IPC.sessionLoadToken) as Promise<string | null>,
  saveSessionToken: (token) => ipcRenderer.invoke(IPC.sessionSaveToken, { token }) as Promise<void>,
  clearSession: () => ipcRenderer.invoke(IPC.sessionClear) as Promise<void>,
  notify: (n) => ipcRenderer.invoke(IPC.notifyShow, n) as Promise<void>,
  setUnreadBadge: (count) => ipcRenderer.invoke(IPC.notifyBadge, { count }) as Promise<void>,
  setOverlayAlerts: (messageIds, armed) =>
    ipcRenderer.invoke(
      IPC.alertsOverlay,
      armed === undefined ? { messageIds } : { messageIds, armed },
    ) as Promise<void>,
  getSettings: () =>
    ipcRenderer.invoke(IPC.settingsGet) as Promise<{
      values: Record<string, unknown>;
      locked: string[];
    }>,
  setSetting: (key, value) => ipcRenderer.invoke(IPC.settingsSet, { key, value }) as Promise<void>,
  openExternal: (url) => ipcRenderer.invoke(IPC.shellOpenExternal, { url }) as Promise<void>,
  onOpenConversation(listener) {
    const handler = (_e: IpcRendererEvent, id: unknown) => {
      if (typeof id === 'string') listener(id);
    };
    ipcRenderer.on(IPC_EVENTS.conversationOpen, handler);
    return () => ipcRenderer.removeListener(IPC_EVENTS.conversationOpen, handler);
  },
};

contextBridge.exposeInMainWorld('konsilium', bridge);
