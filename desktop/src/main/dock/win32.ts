/**
 * Windows-only native calls through koffi (loaded lazily, never on other
 * platforms): the AppBar that reserves screen space for the edge sidebar
 * (`SHAppBarMessage`) and the list of top-level windows for follow mode
 * (`EnumWindows`). Geometry decisions stay in `geometry.ts`.
 */
import type { Rect } from './geometry.js';
import type { TopLevelWindow } from './mis-window.js';

type Koffi = typeof import('koffi');
type Fn = (...args: unknown[]) => unknown;

const ABM_NEW = 0;
const ABM_REMOVE = 1;
const ABM_QUERYPOS = 2;
const ABM_SETPOS = 3;
const ABE_LEFT = 0;
const ABE_RIGHT = 2;
/** WM_APP + 0x4B: the message Windows sends us about AppBar changes (ABN_*). */
export const APPBAR_CALLBACK_MESSAGE = 0x8000 + 0x4b;

interface Native {
  koffi: Koffi;
  appBarDataType: unknown;
  SHAppBarMessage: Fn;
  EnumWindows: Fn;
  enumProc: unknown;
  GetWindowTextW: Fn;
  GetClassNameW: Fn;
  GetWindowRect: Fn;
  IsWindowVisible: Fn;
  IsIconic: Fn;
}

let native: Promise<Native> | null = null;

/**
 * The Win32 structures and callback type, laid out as on 64-bit Windows
 * (`APPBARDATA` is 48 bytes there). Separate from loading the DLLs so the
 * layout is checked by tests on any platform.
 */
export function defineWin32Types(koffi: Koffi) {
  // Anonymous types: koffi registers named ones globally, and this may run more than once.
  const RECT = koffi.struct({ left: 'int32', top: 'int32', right: 'int32', bottom: 'int32' });
  const APPBARDATA = koffi.struct({
    cbSize: 'uint32',
    hWnd: 'uintptr_t',
    uCallbackMessage: 'uint32',
    uEdge: 'uint32',
    rc: RECT,
    lParam: 'intptr_t',
  });
  const enumProc = koffi.proto('__stdcall', null, 'bool', ['uintptr_t', 'intptr_t']);
  return { RECT, APPBARDATA, enumProc };
}

function load(): Promise<Native> {
  native ??= import('koffi').then((mod) => {
    const koffi = (mod as unknown as { default?: Koffi }).default ?? mod;
    const { APPBARDATA, RECT, enumProc } = defineWin32Types(koffi);
    const shell32 = koffi.load('shell32.dll');
    const user32 = koffi.load('user32.dll');
    return {
      koffi,
      appBarDataType: APPBARDATA,
      SHAppBarMessage: shell32.func('__stdcall', 'SHAppBarMessage', 'uintptr_t', [
        'uint32',
        koffi.inout(koffi.pointer(APPBARDATA)),
      ]) as Fn,
      EnumWindows: user32.func('__stdcall', 'EnumWindows', 'bool', [
        koffi.pointer(enumProc),
        'intptr_t',
      ]) as Fn,
      enumProc,
      GetWindowTextW: user32.func(
        'int __stdcall GetWindowTextW(uintptr_t hWnd, _Out_ uint8_t *buf, int max)',
      ) as Fn,
      GetClassNameW: user32.func(
        'int __stdcall GetClassNameW(uintptr_t hWnd, _Out_ uint8_t *buf, int max)',
      ) as Fn,
      GetWindowRect: user32.func('__stdcall', 'GetWindowRect', 'bool', [
        'uintptr_t',
        koffi.out(koffi.pointer(RECT)),
      ]) as Fn,
      IsWindowVisible: user32.func('bool __stdcall IsWindowVisible(uintptr_t hWnd)') as Fn,
      IsIconic: user32.func('bool __stdcall IsIconic(uintptr_t hWnd)') as Fn,
    };
  });
  return native;
}

/** HWND from Electron's `getNativeWindowHandle()` buffer. */
export function hwndOf(handle: Buffer): bigint {
  return handle.length >= 8 ? handle.readBigUInt64LE(0) : BigInt(handle.readUInt32LE(0));
}

interface NativeRect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

function toNative(r: Rect): NativeRect {
  return { left: r.x, top: r.y, right: r.x + r.width, bottom: r.y + r.height };
}

function fromNative(r: NativeRect): Rect {
  return { x: r.left, y: r.top, width: r.right - r.left, height: r.bottom - r.top };
}

/**
 * One registered AppBar. `place` asks Windows for `proposal` (physical pixels)
 * and returns the rect Windows grants after subtracting taskbars and other app
 * bars; the caller moves the window there.
 */
export class AppBar {
  private registered = false;

  constructor(private readonly hwnd: bigint) {}

  async place(edge: 'left' | 'right', proposal: Rect): Promise<Rect> {
    const n = await load();
    const data = {
      cbSize: n.koffi.sizeof(n.appBarDataType as never),
      hWnd: this.hwnd,
      uCallbackMessage: APPBAR_CALLBACK_MESSAGE,
      uEdge: edge === 'left' ? ABE_LEFT : ABE_RIGHT,
      rc: toNative(proposal),
      lParam: 0,
    };
    if (!this.registered) {
      if (!n.SHAppBarMessage(ABM_NEW, data)) throw new Error('ABM_NEW refused');
      this.registered = true;
    }
    n.SHAppBarMessage(ABM_QUERYPOS, data);
    // QUERYPOS may move the rect off a taskbar; keep our width from the edge it left us.
    if (edge === 'left') data.rc.right = data.rc.left + proposal.width;
    else data.rc.left = data.rc.right - proposal.width;
    n.SHAppBarMessage(ABM_SETPOS, data);
    return fromNative(data.rc);
  }

  async remove(): Promise<void> {
    if (!this.registered) return;
    const n = await load();
    const data = {
      cbSize: n.koffi.sizeof(n.appBarDataType as never),
      hWnd: this.hwnd,
      uCallbackMessage: 0,
      uEdge: 0,
      rc: { left: 0, top: 0, right: 0, bottom: 0 },
      lParam: 0,
    };
    n.SHAppBarMessage(ABM_REMOVE, data);
    this.registered = false;
  }
}

function wideText(fn: Fn, hwnd: bigint): string {
  const buf = Buffer.alloc(1024);
  const len = Number(fn(hwnd, buf, 512));
  return len > 0 ? buf.toString('utf16le', 0, len * 2) : '';
}

/** Top-level windows, topmost first (physical pixels). */
export async function listWindowsWin32(): Promise<TopLevelWindow[]> {
  const n = await load();
  const out: TopLevelWindow[] = [];
  const callback = n.koffi.register(
    (hwnd: bigint) => {
      const rect: NativeRect = { left: 0, top: 0, right: 0, bottom: 0 };
      n.GetWindowRect(hwnd, rect);
      out.push({
        id: String(hwnd),
        title: wideText(n.GetWindowTextW, hwnd),
        className: wideText(n.GetClassNameW, hwnd),
        bounds: fromNative(rect),
        visible: Boolean(n.IsWindowVisible(hwnd)),
        minimized: Boolean(n.IsIconic(hwnd)),
      });
      return true;
    },
    n.koffi.pointer(n.enumProc as never),
  );
  try {
    n.EnumWindows(callback, 0);
  } finally {
    n.koffi.unregister(callback);
  }
  return out;
}
