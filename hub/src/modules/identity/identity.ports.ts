import type { UserView } from '@konsilium/shared';

/** What identity needs of the directory; implemented by the directory module, wired in `hub.ts`. */
export interface IdentityUserLookup {
  /** The account behind a login (case-insensitive), or null. */
  findForLogin(login: string): Promise<{ id: string; active: boolean } | null>;
  /** The profile shown by login and `GET /api/v1/me`. */
  profile(userId: string): Promise<UserView | null>;
  /** Whether the account exists and is active; called on every authenticated request, so cheap. */
  isActive(userId: string): Promise<boolean>;
}
