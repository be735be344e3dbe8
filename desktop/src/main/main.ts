/**
 * Electron main entry (thin glue). The shell's testable logic lives in modules
 * beside this file (config, dock geometry, security policy, IPC router, alert
 * board and watcher, token store); this file only wires them to Electron:
 * single instance, `konsilium://` links, the window on the hub's web client,
 * tray, docking, the main-process alert connection and patient context.
 */
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, safeStorage, session, shell } from 'electron';
import { WebSocket } from 'ws';
import { IPC_EVENTS } from '../common/ipc.js';
import { SETTING_KEYS, splitList, type Settings } from '../common/settings.js';
import { AlertBoard } from './alerts/alert-board.js';
import { AlertWatcher } from './alerts/alert-watcher.js';
import { ElectronAlertSink } from './alerts/electron-sink.js';
import { applyNotificationPolicy } from './alerts/notification-text.js';
import { ConfigStore } from './config/config-store.js';
import { loadContextService, type ContextService } from './context-link.js';
import { DockController } from './dock/dock-controller.js';
import { registerIpcHandlers } from './ipc-handlers.js';
import { contextArgs, contextSettings, protocolClientArgs } from './launch.js';
import { createLog } from './log.js';
import { IpcRouter } from './security/ipc-router.js';
import { httpOrigin } from './security/web-policy.js';
import { TokenStore } from './session/token-store.js';
import { ShellTray } from './tray.js';
import { createMainWindow, hardenSession } from './window.js';

const log = createLog();
const here = dirname(fileURLToPath(import.meta.url));
// dist/src/main → dist/preload/preload.cjs (bundled by scripts/build-preload.mjs)
const PRELOAD = join(here, '..', '..', 'preload', 'preload.cjs');

// One name for userData in development and packaged runs (%APPDATA%\Konsilium, ~/.config/Konsilium).
app.setName('Konsilium');
app.setPath('userData', join(app.getPath('appData'), 'Konsilium'));

if (!app.requestSingleInstanceLock()) {
  // Another instance runs: Electron forwards our argv to it ('second-instance'); we leave.
  app.quit();
} else {
  const [protocol, exe, exeArgs] = protocolClientArgs(
    process.defaultApp ?? false,
    process.execPath,
    process.argv,
    (p) => resolve(p),
  );
  if (exe) app.setAsDefaultProtocolClient(protocol, exe, exeArgs);
  else app.setAsDefaultProtocolClient(protocol);
  void start().catch((err: unknown) => {
    log.error({ err }, 'start-up failed');
    app.exit(1);
  });
}

async function start(): Promise<void> {
  // Early links (before ready) are queued for the context service.
  const early: string[][] = [];
  let context: ContextService | null = null;
  let win: BrowserWindow | null = null;
  let quitting = false;
  app.on('before-quit', () => (quitting = true));
  const showWindow = (): void => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };
  app.on('second-instance', (_e, argv) => {
    if (context) context.acceptArgv(contextArgs(argv));
    else early.push(contextArgs(argv));
    showWindow();
  });
  app.on('open-url', (event, url) => {
    event.preventDefault();
    if (context) context.acceptUrl(url);
    else early.push([url]);
  });

  await app.whenReady();
  const userDir = app.getPath('userData');
  const config = new ConfigStore({
    userDir,
    onProblem: (p) => log.warn({ layer: p.layer, key: p.key, error: p.error }, 'setting ignored'),
  });
  let settings: Settings = (await config.load()).values;
  if (
    settings['context.loopback.enabled'] &&
    !settings['context.loopback.secret'] &&
    !config.isLocked('context.loopback.secret')
  ) {
    settings = (await config.set('context.loopback.secret', randomBytes(24).toString('base64url')))
      .values;
  }
  const hubOrigin = () => httpOrigin(config.current.values.hubUrl) ?? 'http://127.0.0.1:8080';
  const allowedExternal = () => splitList(config.current.values['externalLinks.allow']);

  hardenSession({ hubOrigin, log });
  const mainWindow = createMainWindow({
    hubOrigin,
    allowedExternal,
    preload: PRELOAD,
    log,
  });
  win = mainWindow;
  mainWindow.on('close', (e) => {
    // Closing hides to the tray so alerts keep working; Quit from the tray ends the app.
    if (!quitting) {
      e.preventDefault();
      win?.hide();
    }
  });
  mainWindow.on('closed', () => (win = null));

  const dock = new DockController(mainWindow, log);
  const tray = new ShellTray(
    () => win,
    () => config.current.values.language,
    () => app.quit(),
  );

  const policy = () => {
    const v = config.current.values;
    return {
      showPatientData: v['notifications.showPatientData'],
      language: v.language,
      sound: v['notifications.sound'],
      repeatSeconds: v['notifications.repeatSeconds'],
      notifyUrgent: v['ui.notify'] !== 'none',
    };
  };
  const sink = new ElectronAlertSink((alert) => {
    showWindow();
    if (alert.conversationId) {
      win?.webContents.send(IPC_EVENTS.conversationOpen, alert.conversationId);
    }
  });
  const board = new AlertBoard(sink, policy);
  board.subscribe((alerts) => tray.update({ alerts }));
  // A reloading or crashed renderer shows no overlay: its alerts' OS notifications sound again.
  mainWindow.webContents.on('did-start-loading', () => board.setOverlay([]));
  mainWindow.webContents.on('render-process-gone', () => board.setOverlay([]));

  const tokens = new TokenStore(safeStorage, userDir, process.platform, log);
  const watcher = new AlertWatcher({
    hubUrl: () => config.current.values.hubUrl,
    WebSocket,
    board,
    showPatientData: () => policy().showPatientData,
    onSessionEnded: (code) => void wipe(`session ended (${code})`),
    log,
  });

  async function wipe(reason: string): Promise<void> {
    log.info({ reason }, 'wiping local session data');
    watcher.stop();
    board.clear();
    await tokens.clear();
    await session.defaultSession.clearStorageData();
    await session.defaultSession.clearCache();
    tray.update({ unread: 0 });
    win?.webContents.reload();
  }
  const signedIn = async (token: string) => {
    await watcher
      .start(token)
      .catch((err: unknown) => log.warn({ err }, 'alert connection not started'));
  };

  const router = new IpcRouter(ipcMain, hubOrigin, log);
  registerIpcHandlers(router, {
    tokens,
    config,
    signedIn,
    wipe,
    notify: (n) => {
      const safe = applyNotificationPolicy(n, policy());
      // Through the board: an alert it shows already is not shown (or sounded) again.
      board.notify({
        ...safe,
        conversationId: safe.conversationId ?? '',
        persistent: false,
        sound: policy().sound,
      });
    },
    setUnread: (count) => tray.update({ unread: count }),
    setOverlay: (ids, armed) => board.setOverlay(ids, armed),
    currentContext: () => context?.current() ?? { state: 'none', context: null },
    openExternal: (url) => shell.openExternal(url),
  });

  // Patient context → renderer.
  const startContext = async () => {
    await context?.stop();
    context = loadContextService(contextSettings(config.current.values), log);
    context.subscribe((update) => win?.webContents.send(IPC_EVENTS.contextChanged, update));
    await context.start();
    for (const a of early.splice(0)) context.acceptArgv(a);
  };
  // This launch's own arguments go first, then links that arrived during start-up.
  early.unshift(contextArgs(process.argv));
  await startContext();

  let applied = config.current.values;
  config.subscribe(({ values }) => {
    const prev = applied;
    applied = values;
    if (
      prev.dockMode !== values.dockMode ||
      prev.dockWidth !== values.dockWidth ||
      prev.misWindowPattern !== values.misWindowPattern
    ) {
      void dock.apply({
        mode: values.dockMode,
        width: values.dockWidth,
        misWindowPattern: values.misWindowPattern,
      });
    }
    const ctxKeys = SETTING_KEYS.filter((k) => k.startsWith('context.'));
    if (ctxKeys.some((k) => prev[k] !== values[k])) void startContext();
    if (prev.hubUrl !== values.hubUrl)
      void wipe('hub changed').then(() => win?.loadURL(values.hubUrl));
  });

  await dock.apply({
    mode: settings.dockMode,
    width: settings.dockWidth,
    misWindowPattern: settings.misWindowPattern,
  });
  await mainWindow.loadURL(settings.hubUrl);
  const stored = await tokens.load();
  if (stored) await signedIn(stored);

  app.on('before-quit', () => {
    watcher.stop();
    board.clear();
    void dock.release();
    void context?.stop();
    tray.destroy();
  });
}
