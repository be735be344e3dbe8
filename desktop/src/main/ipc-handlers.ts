/**
 * Every IPC call the preload can make, registered through the validating
 * {@link IpcRouter}. Handlers get payloads that already passed their schema
 * and came from the hub's top-level frame.
 */
import { IPC } from '../common/ipc.js';
import { resolveSettingKey, splitList } from '../common/settings.js';
import type { PatientContextUpdate } from '../common/patient-context.js';
import type { DesktopNotification } from '../common/bridge.js';
import type { ConfigStore } from './config/config-store.js';
import type { IpcRouter } from './security/ipc-router.js';
import { isAllowedExternal } from './security/web-policy.js';
import type { TokenStore } from './session/token-store.js';

export interface ShellServices {
  tokens: TokenStore;
  config: ConfigStore;
  /** The renderer signed in: (re)start the main-process alert connection (never rejects). */
  signedIn(token: string): Promise<void>;
  /** Sign-out: wipe the token, the alert connection and the renderer's storage. */
  wipe(reason: string): Promise<void>;
  notify(n: DesktopNotification): void;
  setUnread(count: number): void;
  /**
   * The alerts the renderer's overlay sounds for now (their OS notifications
   * stay silent), and whether it is armed for new critical alerts.
   */
  setOverlay(messageIds: string[], armed: boolean): void;
  currentContext(): PatientContextUpdate;
  openExternal(url: string): Promise<void>;
}

export function registerIpcHandlers(router: IpcRouter, s: ShellServices): void {
  router.handle(IPC.sessionLoadToken, () => s.tokens.load());
  router.handle(IPC.sessionSaveToken, async ({ token }) => {
    await s.tokens.save(token);
    // Not awaited: the alert connection retries until the hub answers.
    void s.signedIn(token);
  });
  router.handle(IPC.sessionClear, () => s.wipe('sign-out'));
  router.handle(IPC.notifyShow, (n) => s.notify(n));
  router.handle(IPC.notifyBadge, ({ count }) => s.setUnread(count));
  router.handle(IPC.alertsOverlay, ({ messageIds, armed }) =>
    s.setOverlay(messageIds, armed ?? false),
  );
  router.handle(IPC.settingsGet, () => {
    const { values, locked } = s.config.current;
    // The loopback secret is for the MIS, not for the page.
    return {
      values: {
        ...values,
        'context.loopback.secret': values['context.loopback.secret'] ? '••••••' : '',
      },
      locked,
    };
  });
  router.handle(IPC.settingsSet, async ({ key, value }) => {
    await s.config.set(resolveSettingKey(key) ?? key, value);
  });
  router.handle(IPC.shellOpenExternal, async ({ url }) => {
    if (!isAllowedExternal(url, splitList(s.config.current.values['externalLinks.allow']))) {
      throw new Error('shell.link_not_allowed');
    }
    await s.openExternal(url);
  });
  router.handle(IPC.contextGet, () => s.currentContext());
}
