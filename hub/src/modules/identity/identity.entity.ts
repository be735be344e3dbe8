import { EntitySchema } from 'typeorm';

export interface Credential {
  userId: string;
  passwordHash: string;
  changedAt: string;
}

export const CredentialEntity = new EntitySchema<Credential>({
  name: 'Credential',
  tableName: 'credential',
  columns: {
    userId: { name: 'user_id', type: 'varchar', length: 36, primary: true },
    passwordHash: { name: 'password_hash', type: 'varchar', length: 200 },
    changedAt: { name: 'changed_at', type: 'varchar', length: 30 },
  },
});

export interface StaffRole {
  userId: string;
  role: string;
}

export const StaffRoleEntity = new EntitySchema<StaffRole>({
  name: 'StaffRole',
  tableName: 'staff_role',
  columns: {
    userId: { name: 'user_id', type: 'varchar', length: 36, primary: true },
    role: { type: 'varchar', length: 32, primary: true },
  },
});

export interface Device {
  id: string;
  userId: string;
  name: string;
  platform: string | null;
  createdAt: string;
  lastSeenAt: string;
}

export const DeviceEntity = new EntitySchema<Device>({
  name: 'Device',
  tableName: 'device',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    userId: { name: 'user_id', type: 'varchar', length: 36 },
    name: { type: 'varchar', length: 120 },
    platform: { type: 'varchar', length: 60, nullable: true },
    createdAt: { name: 'created_at', type: 'varchar', length: 30 },
    lastSeenAt: { name: 'last_seen_at', type: 'varchar', length: 30 },
  },
});

export interface AuthSession {
  id: string;
  userId: string;
  deviceId: string;
  tokenHash: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  revokedAt: string | null;
  revokedReason: string | null;
  ip: string | null;
  userAgent: string | null;
}

export const AuthSessionEntity = new EntitySchema<AuthSession>({
  name: 'AuthSession',
  tableName: 'auth_session',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    userId: { name: 'user_id', type: 'varchar', length: 36 },
    deviceId: { name: 'device_id', type: 'varchar', length: 36 },
    tokenHash: { name: 'token_hash', type: 'varchar', length: 64 },
    createdAt: { name: 'created_at', type: 'varchar', length: 30 },
    lastSeenAt: { name: 'last_seen_at', type: 'varchar', length: 30 },
    expiresAt: { name: 'expires_at', type: 'varchar', length: 30 },
    revokedAt: { name: 'revoked_at', type: 'varchar', length: 30, nullable: true },
    revokedReason: { name: 'revoked_reason', type: 'varchar', length: 32, nullable: true },
    ip: { type: 'varchar', length: 64, nullable: true },
    userAgent: { name: 'user_agent', type: 'varchar', length: 300, nullable: true },
  },
});

export interface AuthThrottle {
  key: string;
  failures: number;
  windowStartedAt: string;
  lockedUntil: string | null;
  lockouts: number;
  updatedAt: string;
}

export const AuthThrottleEntity = new EntitySchema<AuthThrottle>({
  name: 'AuthThrottle',
  tableName: 'auth_throttle',
  columns: {
    key: { type: 'varchar', length: 300, primary: true },
    failures: { type: 'integer' },
    windowStartedAt: { name: 'window_started_at', type: 'varchar', length: 30 },
    lockedUntil: { name: 'locked_until', type: 'varchar', length: 30, nullable: true },
    lockouts: { type: 'integer' },
    updatedAt: { name: 'updated_at', type: 'varchar', length: 30 },
  },
});

export const IDENTITY_ENTITIES = [
  CredentialEntity,
  StaffRoleEntity,
  DeviceEntity,
  AuthSessionEntity,
  AuthThrottleEntity,
];
