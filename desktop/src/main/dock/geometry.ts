/**
 * Docking geometry, pure: where the sidebar goes for each dock mode on any
 * monitor layout. Coordinates are Electron's DIP (device-independent pixels)
 * unless a name says `physical`; `Display` is the subset of Electron's display
 * object we use, so tests describe layouts as plain data.
 */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DisplayInfo {
  id: number;
  /** Whole monitor, DIP. */
  bounds: Rect;
  /** Monitor minus taskbars/panels/other app bars, DIP. */
  workArea: Rect;
  scaleFactor: number;
  /** Top-left corner of the monitor in physical pixels (Electron `Display.nativeOrigin`). */
  nativeOrigin: { x: number; y: number };
}

export type Edge = 'left' | 'right';

/** Narrowest sidebar the UI supports, DIP. */
export const MIN_DOCK_WIDTH = 320;

export function right(r: Rect): number {
  return r.x + r.width;
}

export function bottom(r: Rect): number {
  return r.y + r.height;
}

export function intersection(a: Rect, b: Rect): Rect | null {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const w = Math.min(right(a), right(b)) - x;
  const h = Math.min(bottom(a), bottom(b)) - y;
  return w > 0 && h > 0 ? { x, y, width: w, height: h } : null;
}

function area(r: Rect | null): number {
  return r ? r.width * r.height : 0;
}

/** The display that holds most of `rect` (ties: first in the list); the first display if none. */
export function displayForRect(displays: readonly DisplayInfo[], rect: Rect): DisplayInfo {
  if (displays.length === 0) throw new Error('no displays');
  let best = displays[0]!;
  let bestArea = -1;
  for (const d of displays) {
    const a = area(intersection(d.bounds, rect));
    if (a > bestArea) {
      best = d;
      bestArea = a;
    }
  }
  return best;
}

/** Width clamped to what the UI supports and to at most half the work area. */
export function clampWidth(width: number, workArea: Rect): number {
  const max = Math.max(MIN_DOCK_WIDTH, Math.floor(workArea.width / 2));
  return Math.round(Math.min(Math.max(width, MIN_DOCK_WIDTH), max));
}

/**
 * The edge sidebar: full work-area height at the left or right edge of the
 * display's work area (so it sits beside a taskbar on the same edge, never
 * under it).
 */
export function edgeSidebarBounds(display: DisplayInfo, edge: Edge, width: number): Rect {
  const wa = display.workArea;
  const w = clampWidth(width, wa);
  return { x: edge === 'left' ? wa.x : right(wa) - w, y: wa.y, width: w, height: wa.height };
}

/** DIP rect on `display` → physical pixels (Windows AppBar and X11 struts work in physical pixels). */
export function dipToPhysical(display: DisplayInfo, r: Rect): Rect {
  const s = display.scaleFactor;
  const x = display.nativeOrigin.x + Math.round((r.x - display.bounds.x) * s);
  const y = display.nativeOrigin.y + Math.round((r.y - display.bounds.y) * s);
  return {
    x,
    y,
    width: Math.round(r.width * s),
    height: Math.round(r.height * s),
  };
}

/** Physical pixels on `display` → DIP (for the rect Windows grants an AppBar). */
export function physicalToDip(display: DisplayInfo, r: Rect): Rect {
  const s = display.scaleFactor;
  return {
    x: display.bounds.x + Math.round((r.x - display.nativeOrigin.x) / s),
    y: display.bounds.y + Math.round((r.y - display.nativeOrigin.y) / s),
    width: Math.round(r.width / s),
    height: Math.round(r.height / s),
  };
}

/**
 * The rect to propose to Windows for an AppBar (`ABM_QUERYPOS`): the whole
 * monitor height at the edge (Windows itself subtracts taskbars), in physical
 * pixels.
 */
export function appBarProposal(display: DisplayInfo, edge: Edge, width: number): Rect {
  const wa = display.workArea;
  const w = clampWidth(width, wa);
  const b = display.bounds;
  // Horizontal position from the work area so a vertical taskbar on the same edge stays outside.
  const dip = { x: edge === 'left' ? wa.x : right(wa) - w, y: b.y, width: w, height: b.height };
  return dipToPhysical(display, dip);
}

export interface FollowPlacement {
  bounds: Rect;
  side: Edge;
  /** True when neither side had room and the sidebar overlaps the target's inner edge. */
  overlaps: boolean;
}

/**
 * "Follow the MIS window": the sidebar beside `target` (the MIS window, DIP) on
 * the `preferred` side if the work area of the target's display has room
 * there, else on the other side; if neither has room (a maximized MIS window)
 * it overlaps the target's inner edge on the preferred side. Height and top
 * follow the target, clipped to the work area.
 */
export function followPlacement(
  displays: readonly DisplayInfo[],
  target: Rect,
  width: number,
  preferred: Edge = 'right',
): FollowPlacement {
  const display = displayForRect(displays, target);
  const wa = display.workArea;
  const w = clampWidth(width, wa);
  const top = Math.max(target.y, wa.y);
  const height = Math.max(Math.min(bottom(target), bottom(wa)) - top, Math.min(400, wa.height));
  const y = Math.min(top, bottom(wa) - height);
  const roomRight = right(wa) - right(target);
  const roomLeft = target.x - wa.x;
  const beside = (side: Edge): Rect => ({
    x: side === 'right' ? right(target) : target.x - w,
    y,
    width: w,
    height,
  });
  const order: Edge[] = preferred === 'right' ? ['right', 'left'] : ['left', 'right'];
  for (const side of order) {
    const room = side === 'right' ? roomRight : roomLeft;
    if (room >= w) return { bounds: beside(side), side, overlaps: false };
  }
  const x =
    preferred === 'right'
      ? Math.max(Math.min(right(target), right(wa)) - w, wa.x)
      : Math.min(Math.max(target.x, wa.x), right(wa) - w);
  return { bounds: { x, y, width: w, height }, side: preferred, overlaps: true };
}

/**
 * Floating always-on-top window: the saved bounds if they are still mostly on
 * a display (monitors get unplugged), else a default spot at the right of the
 * primary display's work area.
 */
export function floatingBounds(
  displays: readonly DisplayInfo[],
  primary: DisplayInfo,
  width: number,
  saved?: Rect | null,
): Rect {
  if (saved && saved.width >= MIN_DOCK_WIDTH && saved.height >= 200) {
    const d = displayForRect(displays, saved);
    const visible = area(intersection(d.workArea, saved));
    if (visible >= 0.5 * area(saved)) return clampInto(saved, d.workArea);
  }
  const wa = primary.workArea;
  const w = clampWidth(width, wa);
  const margin = 16;
  const h = Math.max(400, Math.min(900, wa.height - 2 * margin));
  return { x: right(wa) - w - margin, y: wa.y + margin, width: w, height: Math.min(h, wa.height) };
}

/** Moves (and if needed shrinks) `r` so it lies inside `box`. */
export function clampInto(r: Rect, box: Rect): Rect {
  const width = Math.min(r.width, box.width);
  const height = Math.min(r.height, box.height);
  const x = Math.min(Math.max(r.x, box.x), right(box) - width);
  const y = Math.min(Math.max(r.y, box.y), bottom(box) - height);
  return { x, y, width, height };
}

/**
 * X11 `_NET_WM_STRUT_PARTIAL` for a sidebar at `edge` occupying `sidebar`
 * (physical pixels). Struts are measured from the edge of the whole X screen
 * (all monitors), so a right sidebar on a left monitor of a dual layout
 * reserves nothing meaningful: callers use struts only when the sidebar's edge
 * is the X screen's edge and fall back to a plain window otherwise.
 * Returns the 12 cardinals, or null when the edge is not an outer edge.
 */
export function strutPartial(
  screen: Rect,
  sidebar: Rect,
  edge: Edge,
):
  | [number, number, number, number, number, number, number, number, number, number, number, number]
  | null {
  const startY = sidebar.y - screen.y;
  const endY = startY + sidebar.height - 1;
  if (edge === 'left') {
    if (sidebar.x !== screen.x) return null;
    return [sidebar.width, 0, 0, 0, startY, endY, 0, 0, 0, 0, 0, 0];
  }
  if (right(sidebar) !== right(screen)) return null;
  return [0, sidebar.width, 0, 0, 0, 0, startY, endY, 0, 0, 0, 0];
}

/** The bounding box of all displays (the X screen), physical pixels. */
export function virtualScreenPhysical(displays: readonly DisplayInfo[]): Rect {
  const rects = displays.map((d) => dipToPhysical(d, d.bounds));
  const x = Math.min(...rects.map((r) => r.x));
  const y = Math.min(...rects.map((r) => r.y));
  return {
    x,
    y,
    width: Math.max(...rects.map(right)) - x,
    height: Math.max(...rects.map(bottom)) - y,
  };
}
