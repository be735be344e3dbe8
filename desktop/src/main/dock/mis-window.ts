/**
 * Finding the MIS window for "follow" mode. The platform code lists top-level
 * windows (Windows: EnumWindows through koffi; Linux/X11: `wmctrl -lGx`);
 * choosing the one to follow is pure and tested here.
 */
import type { Rect } from './geometry.js';

export interface TopLevelWindow {
  /** Platform handle as text (HWND or X11 window id), for logs and self-exclusion. */
  id: string;
  title: string;
  className: string;
  /** Physical pixels. */
  bounds: Rect;
  visible: boolean;
  minimized: boolean;
}

/**
 * Compiles the policy/user pattern (case-insensitive). An empty or invalid
 * pattern matches nothing (follow mode then falls back to floating).
 */
export function compileWindowPattern(pattern: string): RegExp | null {
  if (pattern.trim() === '') return null;
  try {
    return new RegExp(pattern, 'i');
  } catch {
    return null;
  }
}

/**
 * The window to follow: the first visible, non-minimized, non-tiny window whose
 * title or class matches `pattern`, excluding our own windows (`ownIds`).
 * The list comes in z-order (topmost first) from both enumerators, so the
 * MIS window the user looked at last wins.
 */
export function findMisWindow(
  windows: readonly TopLevelWindow[],
  pattern: RegExp | null,
  ownIds: readonly string[] = [],
): TopLevelWindow | null {
  if (!pattern) return null;
  for (const w of windows) {
    if (!w.visible || w.minimized || ownIds.includes(w.id)) continue;
    if (w.bounds.width < 200 || w.bounds.height < 150) continue;
    if (pattern.test(w.title) || pattern.test(w.className)) return w;
  }
  return null;
}

// `0x03a00003  0 10   20   1280 1024 mis.Mis  host Title with  spaces`
const WMCTRL_LINE =
  /^(0x[0-9a-f]+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+\S+\s?(.*)$/i;

/**
 * Parses `wmctrl -lGx` (id, desktop, x, y, width, height, WM_CLASS, host,
 * title). wmctrl lists bottom-most first, so the result is reversed to
 * topmost first. Sticky/desktop windows (desktop -1) are skipped.
 */
export function parseWmctrl(stdout: string): TopLevelWindow[] {
  const out: TopLevelWindow[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = WMCTRL_LINE.exec(line.trim());
    if (!m) continue;
    if (m[2] === '-1') continue;
    out.push({
      id: '0x' + Number.parseInt(m[1]!, 16).toString(16),
      className: m[7]!,
      title: m[8]!.trim(),
      bounds: { x: Number(m[3]), y: Number(m[4]), width: Number(m[5]), height: Number(m[6]) },
      visible: true,
      minimized: false,
    });
  }
  return out.reverse();
}
