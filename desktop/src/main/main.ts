/**
 * Electron main entry (thin glue). The shell's testable logic lives in
 * modules beside this file; this file only wires them to Electron.
 */
import { app, BrowserWindow } from 'electron';

async function start(): Promise<void> {
  await app.whenReady();
  const win = new BrowserWindow({
    width: 420,
    height: 900,
    webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false },
  });
  await win.loadURL(process.env.KONSILIUM_HUB_URL ?? 'http://127.0.0.1:8080/');
}

void start();
