/** Tray icon with unread badge (Electron glue over `tray-icon.ts`). */
import { app, Menu, nativeImage, Tray, type BrowserWindow } from 'electron';
import { trayBitmap, trayTooltip, type TrayState } from './tray-icon.js';

export class ShellTray {
  private readonly tray: Tray;
  private state: TrayState = { unread: 0, alerts: 0 };

  constructor(
    private readonly window: () => BrowserWindow | null,
    private readonly language: () => 'ru' | 'en',
    onQuit: () => void,
  ) {
    this.tray = new Tray(this.image(16));
    const show = () => {
      const w = this.window();
      if (w) {
        w.show();
        w.focus();
      }
    };
    this.tray.on('click', show);
    const ru = this.language() === 'ru';
    this.tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: ru ? 'Открыть Консилиум' : 'Open Konsilium', click: show },
        { type: 'separator' },
        { label: ru ? 'Выход' : 'Quit', click: onQuit },
      ]),
    );
    this.update({});
  }

  update(change: Partial<TrayState>): void {
    this.state = { ...this.state, ...change };
    this.tray.setImage(this.image(16));
    this.tray.setToolTip(trayTooltip(this.state, this.language()));
    app.setBadgeCount(this.state.unread);
    const w = this.window();
    if (process.platform === 'win32' && w) {
      w.setOverlayIcon(
        this.state.unread > 0 ? this.image(16) : null,
        trayTooltip(this.state, this.language()),
      );
    }
  }

  destroy(): void {
    this.tray.destroy();
  }

  private image(size: number) {
    return nativeImage.createFromBitmap(trayBitmap(size, this.state), {
      width: size,
      height: size,
    });
  }
}
