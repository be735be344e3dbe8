import assert from 'node:assert/strict';
import { defineWin32Types, hwndOf } from '../../src/main/dock/win32.js';
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
  type Rect,
} from '../../src/main/dock/geometry.js';
import {
  compileWindowPattern,
  findMisWindow,
  parseWmctrl,
  type TopLevelWindow,
} from '../../src/main/dock/mis-window.js';

function display(
  id: number,
  bounds: Rect,
  workArea: Rect,
  scaleFactor = 1,
  nativeOrigin = { x: bounds.x, y: bounds.y },
): DisplayInfo {
  return { id, bounds, workArea, scaleFactor, nativeOrigin };
}

// Single 1920×1080, taskbar at the bottom (40 px).
const single = display(
  1,
  { x: 0, y: 0, width: 1920, height: 1080 },
  { x: 0, y: 0, width: 1920, height: 1040 },
);
// Dual side by side: primary 1920×1080 at 100 %, secondary 2560×1440 at 125 % (DIP 2048×1152) on the right.
const dualLeft = display(
  1,
  { x: 0, y: 0, width: 1920, height: 1080 },
  { x: 0, y: 0, width: 1920, height: 1040 },
);
const dualRight = display(
  2,
  { x: 1920, y: 0, width: 2048, height: 1152 },
  { x: 1920, y: 0, width: 2048, height: 1152 },
  1.25,
  { x: 1920, y: 0 },
);
// Taskbar on the right edge (60 px) and a portrait monitor to the LEFT of the primary (negative x).
const taskbarRight = display(
  1,
  { x: 0, y: 0, width: 1920, height: 1080 },
  { x: 0, y: 0, width: 1860, height: 1080 },
);
const portraitLeft = display(
  3,
  { x: -1080, y: -420, width: 1080, height: 1920 },
  { x: -1080, y: -420, width: 1080, height: 1920 },
);
// Taskbar on the left edge.
const taskbarLeft = display(
  1,
  { x: 0, y: 0, width: 1366, height: 768 },
  { x: 48, y: 0, width: 1318, height: 768 },
);
// Taskbar on top, 125 %: 1920×1080 physical = 1536×864 DIP.
const scaled125 = display(
  1,
  { x: 0, y: 0, width: 1536, height: 864 },
  { x: 0, y: 32, width: 1536, height: 832 },
  1.25,
);

describe('desktop dock geometry: edge sidebar', () => {
  it('single monitor: right and left sidebars fill the work area height beside the bottom taskbar', () => {
    assert.deepEqual(edgeSidebarBounds(single, 'right', 400), {
      x: 1520,
      y: 0,
      width: 400,
      height: 1040,
    });
    assert.deepEqual(edgeSidebarBounds(single, 'left', 400), {
      x: 0,
      y: 0,
      width: 400,
      height: 1040,
    });
  });

  it('taskbar on the right or left edge: the sidebar sits inside it, never under it', () => {
    assert.deepEqual(edgeSidebarBounds(taskbarRight, 'right', 400), {
      x: 1460,
      y: 0,
      width: 400,
      height: 1080,
    });
    assert.deepEqual(edgeSidebarBounds(taskbarLeft, 'left', 400), {
      x: 48,
      y: 0,
      width: 400,
      height: 768,
    });
  });

  it('taskbar on top at 125 %: below the taskbar, and the AppBar proposal is in physical pixels', () => {
    assert.deepEqual(edgeSidebarBounds(scaled125, 'right', 400), {
      x: 1136,
      y: 32,
      width: 400,
      height: 832,
    });
    assert.deepEqual(appBarProposal(scaled125, 'right', 400), {
      x: 1420,
      y: 0,
      width: 500,
      height: 1080,
    });
  });

  it('dual monitors with different scale factors: the secondary display in DIP and physical pixels', () => {
    assert.deepEqual(edgeSidebarBounds(dualRight, 'right', 400), {
      x: 3568,
      y: 0,
      width: 400,
      height: 1152,
    });
    assert.deepEqual(appBarProposal(dualRight, 'right', 400), {
      x: 3980,
      y: 0,
      width: 500,
      height: 1440,
    });
    assert.deepEqual(edgeSidebarBounds(dualLeft, 'right', 400).x, 1520);
  });

  it('portrait monitor at negative coordinates', () => {
    assert.deepEqual(edgeSidebarBounds(portraitLeft, 'left', 400), {
      x: -1080,
      y: -420,
      width: 400,
      height: 1920,
    });
    assert.deepEqual(dipToPhysical(portraitLeft, { x: -1080, y: -420, width: 400, height: 1920 }), {
      x: -1080,
      y: -420,
      width: 400,
      height: 1920,
    });
  });

  it('clamps the width to the supported minimum and to half the work area', () => {
    assert.equal(edgeSidebarBounds(single, 'right', 100).width, 320);
    assert.equal(edgeSidebarBounds(taskbarLeft, 'right', 5000).width, 659);
  });

  it('DIP ↔ physical round-trips on a scaled display', () => {
    const r = { x: 2000, y: 100, width: 400, height: 600 };
    const p = dipToPhysical(dualRight, r);
    assert.deepEqual(p, { x: 2020, y: 125, width: 500, height: 750 });
    assert.deepEqual(physicalToDip(dualRight, p), r);
  });

  it('picks the display that holds most of a window', () => {
    const all = [dualLeft, dualRight];
    assert.equal(displayForRect(all, { x: 1800, y: 0, width: 400, height: 400 }).id, 2);
    assert.equal(displayForRect(all, { x: 1700, y: 0, width: 400, height: 400 }).id, 1);
    assert.equal(displayForRect(all, { x: 9000, y: 9000, width: 10, height: 10 }).id, 1);
  });
});

describe('desktop dock geometry: follow the MIS window', () => {
  it('places the sidebar to the right of a MIS window that leaves room', () => {
    const p = followPlacement([single], { x: 100, y: 50, width: 1200, height: 900 }, 400);
    assert.deepEqual(p, {
      bounds: { x: 1300, y: 50, width: 400, height: 900 },
      side: 'right',
      overlaps: false,
    });
  });

  it('flips to the left when the right has no room', () => {
    const p = followPlacement([single], { x: 600, y: 0, width: 1200, height: 1040 }, 400);
    assert.deepEqual(p, {
      bounds: { x: 200, y: 0, width: 400, height: 1040 },
      side: 'left',
      overlaps: false,
    });
  });

  it('prefers the left when asked, and flips to the right when the left has no room', () => {
    assert.equal(
      followPlacement([single], { x: 500, y: 0, width: 800, height: 800 }, 400, 'left').side,
      'left',
    );
    assert.equal(
      followPlacement([single], { x: 100, y: 0, width: 800, height: 800 }, 400, 'left').side,
      'right',
    );
  });

  it('overlaps the inner edge of a maximized MIS window', () => {
    const p = followPlacement([single], { x: 0, y: 0, width: 1920, height: 1040 }, 400);
    assert.deepEqual(p, {
      bounds: { x: 1520, y: 0, width: 400, height: 1040 },
      side: 'right',
      overlaps: true,
    });
  });

  it('follows a MIS window on the scaled secondary display and clips to its work area', () => {
    const p = followPlacement(
      [dualLeft, dualRight],
      { x: 1950, y: -30, width: 900, height: 1200 },
      400,
    );
    assert.deepEqual(p.bounds, { x: 2850, y: 0, width: 400, height: 1152 });
    assert.equal(p.side, 'right');
  });

  it('follows a MIS window on a portrait monitor at negative coordinates', () => {
    const p = followPlacement(
      [portraitLeft, taskbarRight],
      { x: -1080, y: -420, width: 600, height: 1000 },
      400,
    );
    assert.deepEqual(p.bounds, { x: -480, y: -420, width: 400, height: 1000 });
  });
});

describe('desktop dock geometry: floating fallback and Linux struts', () => {
  it('keeps saved floating bounds that are still visible, moves ones from an unplugged monitor', () => {
    const saved = { x: 2000, y: 100, width: 400, height: 700 };
    assert.deepEqual(floatingBounds([dualLeft, dualRight], dualLeft, 400, saved), saved);
    const moved = floatingBounds([single], single, 400, saved);
    assert.deepEqual(moved, { x: 1504, y: 16, width: 400, height: 900 });
  });

  it('strut for a right sidebar on the rightmost monitor; none for an inner edge', () => {
    const all = [dualLeft, dualRight];
    const screen = virtualScreenPhysical(all);
    assert.deepEqual(screen, { x: 0, y: 0, width: 4480, height: 1440 });
    const rightBar = dipToPhysical(dualRight, edgeSidebarBounds(dualRight, 'right', 400));
    assert.deepEqual(
      strutPartial(screen, rightBar, 'right'),
      [0, 500, 0, 0, 0, 0, 0, 1439, 0, 0, 0, 0],
    );
    const innerBar = dipToPhysical(dualLeft, edgeSidebarBounds(dualLeft, 'right', 400));
    assert.equal(strutPartial(screen, innerBar, 'right'), null);
    const leftBar = dipToPhysical(dualLeft, edgeSidebarBounds(dualLeft, 'left', 400));
    assert.deepEqual(
      strutPartial(screen, leftBar, 'left'),
      [400, 0, 0, 0, 0, 1039, 0, 0, 0, 0, 0, 0],
    );
  });
});

describe('desktop dock: finding the MIS window', () => {
  const wins: TopLevelWindow[] = [
    {
      id: '1',
      title: 'Konsilium',
      className: 'Chrome_WidgetWin_1',
      bounds: { x: 0, y: 0, width: 400, height: 900 },
      visible: true,
      minimized: false,
    },
    {
      id: '2',
      title: 'qMS — Карта пациента',
      className: 'TMainForm',
      bounds: { x: 0, y: 0, width: 10, height: 10 },
      visible: true,
      minimized: false,
    },
    {
      id: '3',
      title: 'qMS — Карта пациента',
      className: 'TMainForm',
      bounds: { x: 0, y: 0, width: 1200, height: 900 },
      visible: true,
      minimized: true,
    },
    {
      id: '4',
      title: 'Медицинская карта',
      className: 'TMainForm',
      bounds: { x: 0, y: 0, width: 1200, height: 900 },
      visible: true,
      minimized: false,
    },
  ];

  it('matches title or class case-insensitively, skipping our own, tiny and minimized windows', () => {
    assert.equal(findMisWindow(wins, compileWindowPattern('tmainform'), ['1'])?.id, '4');
    assert.equal(findMisWindow(wins, compileWindowPattern('konsilium'), ['1']), null);
    assert.equal(findMisWindow(wins, compileWindowPattern('Карта пациента')), null);
  });

  it('an empty or invalid pattern matches nothing', () => {
    assert.equal(compileWindowPattern(''), null);
    assert.equal(compileWindowPattern('(['), null);
    assert.equal(findMisWindow(wins, null), null);
  });

  it('parses wmctrl -lGx output topmost first and skips sticky windows', () => {
    const out = [
      '0x01e00003 -1 0    0    1920 32   panel.Panel  ws01 Top panel',
      '0x03a00003  0 10   20   1280 1024 mis.Mis  ws01 МИС  —  Иванов И.И.',
      '0x04200007  0 1300 0    400  1040 konsilium.Konsilium  ws01 Konsilium',
      'garbage',
    ].join('\n');
    const parsed = parseWmctrl(out);
    assert.deepEqual(
      parsed.map((w) => [w.id, w.className, w.title]),
      [
        ['0x4200007', 'konsilium.Konsilium', 'Konsilium'],
        ['0x3a00003', 'mis.Mis', 'МИС  —  Иванов И.И.'],
      ],
    );
    assert.deepEqual(parsed[1]!.bounds, { x: 10, y: 20, width: 1280, height: 1024 });
  });
});

describe('desktop dock: Win32 structures for the AppBar (koffi)', () => {
  it('APPBARDATA has the 64-bit Windows layout and the HWND is read from the native handle', async () => {
    const mod = await import('koffi');
    const koffi = (mod as unknown as { default?: typeof mod }).default ?? mod;
    const { APPBARDATA, RECT } = defineWin32Types(koffi);
    const again = defineWin32Types(koffi);
    assert.equal(koffi.sizeof(RECT), 16);
    assert.equal(koffi.sizeof(APPBARDATA), 48);
    assert.equal(koffi.offsetof(APPBARDATA, 'hWnd'), 8);
    assert.equal(koffi.offsetof(APPBARDATA, 'rc'), 24);
    assert.equal(koffi.offsetof(APPBARDATA, 'lParam'), 40);
    assert.equal(koffi.sizeof(again.APPBARDATA), 48, 'defining the types twice is fine');
    const handle = Buffer.alloc(8);
    handle.writeBigUInt64LE(0x1a2b3cn);
    assert.equal(hwndOf(handle), 0x1a2b3cn);
  });
});
