import type { Permission, Role } from '@konsilium/shared';

/** Who is calling: resolved from the session token once per request. */
export interface Actor {
  userId: string;
  sessionId: string;
  deviceId: string;
  roles: readonly Role[];
  permissions: ReadonlySet<Permission>;
}

/** Where a call came from; carried into the audit record. */
export interface RequestMeta {
  requestId: string;
  ip: string;
  userAgent: string | null;
}

/** Resolves a bearer token to an actor, or throws `auth.*` AppErrors. Supplied by the identity module. */
export type Authenticator = (token: string, meta: RequestMeta) => Promise<Actor>;

/** Who did something and from where, as the audit log records it. */
export interface CallContext {
  actorId: string | null;
  deviceId: string | null;
  requestId: string | null;
}

/** The call context of a route request (or of the system when there is no actor). */
export function callContext(actor: Actor | null, meta: RequestMeta | null): CallContext {
  return {
    actorId: actor?.userId ?? null,
    deviceId: actor?.deviceId ?? null,
    requestId: meta?.requestId ?? null,
  };
}

/** The system itself (demo loading, jobs). */
export const SYSTEM: CallContext = { actorId: null, deviceId: null, requestId: null };
