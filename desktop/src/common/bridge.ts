/**
 * The renderer-facing API the Electron preload exposes as `window.konsilium`
 * (one contextBridge object). The UI also runs in a plain browser (the hub's
 * web client) where this object is absent: every UI use must be optional.
 * IPC channel names and payload schemas live in `ipc.ts` (owned by the shell).
 */
import type { PatientContextUpdate } from './patient-context.js';

export type DockMode = 'right' | 'left' | 'follow' | 'floating';

export interface DesktopNotification {
  /** Stable id (message id) so repeats replace instead of stacking. */
  id: string;
  priority: 'low' | 'normal' | 'urgent' | 'critical';
  title: string;
  body: string;
  conversationId?: string;
}

export interface KonsiliumBridge {
  readonly version: 1;
  /** Current patient context from the MIS adapters, then every change. Returns an unsubscribe. */
  onPatientContext(listener: (update: PatientContextUpdate) => void): () => void;
  /** The device-bound session token kept by safeStorage in the main process. */
  loadSessionToken(): Promise<string | null>;
  saveSessionToken(token: string): Promise<void>;
  /** Sign-out: wipes the token and local data. */
  clearSession(): Promise<void>;
  notify(notification: DesktopNotification): Promise<void>;
  setUnreadBadge(count: number): Promise<void>;
  /**
   * The alerts (by message id) the on-top overlay shows while its own alarm is
   * on: the shell keeps their OS notifications silent (one sound at a time).
   * `armed`: the overlay will sound for any new critical alert asking the
   * signed-in user, so the shell's first notification of one starts silent.
   */
  setOverlayAlerts?(messageIds: string[], armed?: boolean): Promise<void>;
  /** Effective settings and which keys machine policy locks (read-only in Settings). */
  getSettings(): Promise<{ values: Record<string, unknown>; locked: string[] }>;
  setSetting(key: string, value: unknown): Promise<void>;
  openExternal(url: string): Promise<void>;
  /** The user clicked an OS notification: show this conversation. Returns an unsubscribe. */
  onOpenConversation?(listener: (conversationId: string) => void): () => void;
}

declare global {
  // Present only inside the Electron shell.
  var konsilium: KonsiliumBridge | undefined;
}
