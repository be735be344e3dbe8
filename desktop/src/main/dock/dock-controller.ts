/**
 * Applies the dock mode to the window (Electron glue over `geometry.ts`):
 * - right/left: a full-height sidebar; on Windows an AppBar reserves the space
 *   so maximized windows (the MIS) shrink beside it; on Linux/X11 the
 *   `_NET_WM_STRUT_PARTIAL` property is set with `xprop` when the edge is an
 *   outer edge of the X screen;
 * - follow: every second the MIS window (title/class pattern) is looked up and
 *   the sidebar placed beside it;
 * - floating (and the fallback when nothing else works): always on top.
 */
import { execFile } from 'node:child_process';
import { screen, type BrowserWindow } from 'electron';
import type { DockMode } from '../../common/bridge.js';
import type { Log } from '../log.js';
import {
  appBarProposal,
  displayForRect,
  dipToPhysical,
  edgeSidebarBounds,
  floatingBounds,
  followPlacement,
  physicalToDip,
  strutPartial,
  virtualScreenPhysical,
  type DisplayInfo,
  type Edge,
  type Rect,
} from './geometry.js';
import {
  compileWindowPattern,
  findMisWindow,
  parseWmctrl,
  type TopLevelWindow,
} from './mis-window.js';
import { APPBAR_CALLBACK_MESSAGE, AppBar, hwndOf, listWindowsWin32 } from './win32.js';

export interface DockSettings {
  mode: DockMode;
  width: number;
  misWindowPattern: string;
}

function displays(): DisplayInfo[] {
  return screen.getAllDisplays();
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { timeout: 3000, windowsHide: true }, (err, stdout) =>
      err ? reject(new Error(err.message)) : resolve(stdout),
    ),
  );
}

export class DockController {
  private appBar: AppBar | null = null;
  private followTimer: NodeJS.Timeout | null = null;
  private settings: DockSettings | null = null;
  private floatingSaved: Rect | null = null;

  constructor(
    private readonly win: BrowserWindow,
    private readonly log: Log,
  ) {
    screen.on('display-metrics-changed', () => void this.reapply());
    screen.on('display-added', () => void this.reapply());
    screen.on('display-removed', () => void this.reapply());
  }

  async apply(settings: DockSettings): Promise<void> {
    this.settings = settings;
    await this.release();
    try {
      if (settings.mode === 'right' || settings.mode === 'left')
        await this.dockEdge(settings.mode, settings.width);
      else if (settings.mode === 'follow') this.startFollow(settings);
      else this.float(settings.width);
    } catch (err) {
      this.log.warn({ err, mode: settings.mode }, 'docking failed; floating instead');
      this.float(settings.width);
    }
  }

  async release(): Promise<void> {
    if (this.followTimer) clearInterval(this.followTimer);
    this.followTimer = null;
    if (this.appBar) {
      this.win.unhookWindowMessage(APPBAR_CALLBACK_MESSAGE);
      await this.appBar.remove();
    }
    this.appBar = null;
    this.win.setAlwaysOnTop(false);
  }

  private async reapply(): Promise<void> {
    if (this.settings && this.settings.mode !== 'floating') await this.apply(this.settings);
  }

  private async dockEdge(edge: Edge, width: number): Promise<void> {
    const all = displays();
    const display = displayForRect(all, this.win.getBounds());
    let bounds = edgeSidebarBounds(display, edge, width);
    if (process.platform === 'win32') {
      this.appBar = new AppBar(hwndOf(this.win.getNativeWindowHandle()));
      // Windows tells an AppBar when the taskbar or another bar moves (ABN_POSCHANGED = 1).
      this.win.hookWindowMessage(APPBAR_CALLBACK_MESSAGE, (wParam) => {
        if (wParam.readUInt32LE(0) === 1) void this.reapply();
      });
      const granted = await this.appBar.place(edge, appBarProposal(display, edge, width));
      bounds = screen.screenToDipRect(this.win, granted);
    }
    this.win.setBounds(bounds);
    this.win.setAlwaysOnTop(process.platform === 'win32' ? false : true, 'floating');
    if (process.platform === 'linux') await this.setStrut(all, display, bounds, edge);
  }

  private async setStrut(
    all: DisplayInfo[],
    display: DisplayInfo,
    bounds: Rect,
    edge: Edge,
  ): Promise<void> {
    const strut = strutPartial(virtualScreenPhysical(all), dipToPhysical(display, bounds), edge);
    if (!strut) return;
    const xid = '0x' + this.win.getNativeWindowHandle().readUInt32LE(0).toString(16);
    try {
      await run('xprop', [
        '-id',
        xid,
        '-f',
        '_NET_WM_STRUT_PARTIAL',
        '32c',
        '-set',
        '_NET_WM_STRUT_PARTIAL',
        strut.join(', '),
      ]);
    } catch (err) {
      this.log.warn({ err }, 'xprop unavailable: sidebar does not reserve space');
    }
  }

  private startFollow(settings: DockSettings): void {
    const pattern = compileWindowPattern(settings.misWindowPattern);
    if (!pattern) {
      this.float(settings.width);
      return;
    }
    this.win.setAlwaysOnTop(true, 'floating');
    const tick = async () => {
      const target = findMisWindow(await this.listWindows(), pattern, this.ownIds());
      if (!target) return;
      const all = displays();
      const targetDip =
        process.platform === 'win32'
          ? screen.screenToDipRect(null, target.bounds)
          : physicalToDip(displayForRect(all, target.bounds), target.bounds);
      const place = followPlacement(all, targetDip, settings.width);
      const cur = this.win.getBounds();
      const b = place.bounds;
      if (cur.x !== b.x || cur.y !== b.y || cur.width !== b.width || cur.height !== b.height)
        this.win.setBounds(b);
    };
    this.followTimer = setInterval(
      () => void tick().catch((err: unknown) => this.log.warn({ err }, 'follow failed')),
      1000,
    );
    void tick().catch((err: unknown) => this.log.warn({ err }, 'follow failed'));
  }

  private float(width: number): void {
    const all = displays();
    this.win.setBounds(floatingBounds(all, screen.getPrimaryDisplay(), width, this.floatingSaved));
    this.win.setAlwaysOnTop(true, 'floating');
    this.win.once('moved', () => (this.floatingSaved = this.win.getBounds()));
  }

  private ownIds(): string[] {
    const h = this.win.getNativeWindowHandle();
    return process.platform === 'win32'
      ? [String(hwndOf(h))]
      : ['0x' + h.readUInt32LE(0).toString(16)];
  }

  private async listWindows(): Promise<TopLevelWindow[]> {
    if (process.platform === 'win32') return listWindowsWin32();
    if (process.platform === 'linux') return parseWmctrl(await run('wmctrl', ['-lGx']));
    return [];
  }
}
