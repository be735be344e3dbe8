import { z } from 'zod';
import { Id, Text } from './common.js';
import { PERMISSIONS, ROLES } from '../domain/vocabularies.js';

/** The device a session is bound to (SEC-3). */
export const DeviceInfo = z
  .object({
    name: Text(120),
    platform: Text(60).optional(),
  })
  .strict();
export type DeviceInfo = z.infer<typeof DeviceInfo>;

/** `POST /api/v1/auth/login` */
export const LoginRequest = z
  .object({
    login: z.string().trim().min(1).max(64),
    password: z.string().min(1).max(256),
    device: DeviceInfo.optional(),
  })
  .strict();
export type LoginRequest = z.infer<typeof LoginRequest>;

/** Password policy: length is what matters (NIST SP 800-63B). */
export const Password = z.string().min(10, 'at least 10 characters').max(256);

/** `POST /api/v1/auth/password` */
export const ChangePasswordRequest = z
  .object({
    currentPassword: z.string().min(1).max(256),
    newPassword: Password,
  })
  .strict();
export type ChangePasswordRequest = z.infer<typeof ChangePasswordRequest>;

/** `PUT /api/v1/directory/users/:id/password` (admin reset). */
export const ResetPasswordRequest = z.object({ password: Password }).strict();

/** `PUT /api/v1/directory/users/:id/roles` (admin). */
export const SetRolesRequest = z
  .object({ roles: z.array(z.enum(ROLES)).max(ROLES.length) })
  .strict();

/** A session as listed to its owner or an admin. */
export interface SessionView {
  id: string;
  userId: string;
  device: { id: string; name: string; platform: string | null };
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  current: boolean;
  ip: string | null;
}

export const SessionIdParam = z.object({ id: Id });

/** The user as returned by login and `GET /api/v1/me`. */
export interface MeView {
  id: string;
  login: string;
  fullName: string;
  roles: (typeof ROLES)[number][];
  permissions: (typeof PERMISSIONS)[number][];
}

export interface LoginResponse {
  token: string;
  session: { id: string; expiresAt: string };
  user: MeView & Record<string, unknown>;
}
