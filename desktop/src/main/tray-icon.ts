/**
 * The tray icon drawn in code (no image assets to ship or lose): a blue disc,
 * with a red dot when something is unread and a red ring when a critical alert
 * waits. Returns a BGRA bitmap for `nativeImage.createFromBitmap`.
 */
export interface TrayState {
  unread: number;
  alerts: number;
}

export function trayBitmap(size: number, state: TrayState): Buffer {
  const buf = Buffer.alloc(size * size * 4);
  const c = (size - 1) / 2;
  const r = size / 2 - 0.5;
  const dotR = size * 0.22;
  const dotC = size - dotR - 0.5;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - c, y - c);
      let rgba: [number, number, number, number] = [0, 0, 0, 0];
      if (d <= r) rgba = [0x1f, 0x5f, 0xbf, 0xff];
      if (state.alerts > 0 && d <= r && d >= r - Math.max(1, size / 10))
        rgba = [0xd0, 0x10, 0x10, 0xff];
      if (state.unread > 0 && Math.hypot(x - dotC, y - (size - dotC - 1)) <= dotR)
        rgba = [0xe0, 0x20, 0x20, 0xff];
      const i = (y * size + x) * 4;
      buf[i] = rgba[2];
      buf[i + 1] = rgba[1];
      buf[i + 2] = rgba[0];
      buf[i + 3] = rgba[3];
    }
  }
  return buf;
}

/** Badge text: the count, `99+` above 99, empty for none. */
export function badgeLabel(count: number): string {
  if (!Number.isFinite(count) || count <= 0) return '';
  return count > 99 ? '99+' : String(Math.floor(count));
}

export function trayTooltip(state: TrayState, language: 'ru' | 'en'): string {
  const parts = ['Konsilium'];
  if (language === 'ru') {
    if (state.unread > 0) parts.push(`непрочитанных: ${badgeLabel(state.unread)}`);
    if (state.alerts > 0) parts.push(`ждут подтверждения: ${state.alerts}`);
  } else {
    if (state.unread > 0) parts.push(`unread: ${badgeLabel(state.unread)}`);
    if (state.alerts > 0) parts.push(`awaiting acknowledgement: ${state.alerts}`);
  }
  return parts.join(' — ');
}
