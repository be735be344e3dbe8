/**
 * @konsilium/desktop — the workstation client (Electron shell, Lit UI, patient
 * context adapters) arrives with its own issue. This stub keeps the workspace
 * and the boundary rules in place: the desktop imports only `@konsilium/shared`.
 */
import { ROLES } from '@konsilium/shared';

/** Roles the client knows how to present (placeholder until the UI lands). */
export const KNOWN_ROLES: readonly string[] = ROLES;
