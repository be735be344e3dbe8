import type { AlertView } from '@konsilium/shared';

/** What escalation needs of the directory and identity; wired in hub.ts. */
export interface EscalationPeople {
  /** Names, activity and contact addresses of these people (unknown ids are absent). */
  profiles(
    ids: readonly string[],
  ): Promise<
    Map<string, { fullName: string; active: boolean; email: string | null; phone: string | null }>
  >;
  /** Active staff holding the admin role (the last resort of the built-in policy). */
  administrators(): Promise<string[]>;
  /** The organisation tree as a flat list: id and parent. */
  units(): Promise<{ id: string; parentId: string | null }[]>;
}

/** What escalation needs of rosters; wired in hub.ts. */
export interface EscalationRoles {
  /** Who answers for a duty role at `at` (fallbacks followed); throws for an unknown role. */
  resolve(roleId: string, at: Date): Promise<{ id: string; fullName: string }[]>;
  /** The role's unit and whether it is active, or null for an unknown role. */
  describe(roleId: string): Promise<{ unitId: string; active: boolean; name: string } | null>;
}

/** What escalation needs of messaging; wired in hub.ts. */
export interface EscalationMessaging {
  /** The unit a conversation belongs to (its own, or its duty role's), or null. */
  unitOf(conversationId: string): Promise<string | null>;
  /** Adds people to the conversation so they can see and acknowledge the message. */
  addMembers(conversationId: string, userIds: string[], authorOf: string): Promise<void>;
  /** Per-user resumable stream events (`alert.updated`). */
  notify(userIds: string[], event: string, data: unknown): void;
}

/** E-mail and SMS (the notify module's ExternalChannels); wired in hub.ts. */
export interface EscalationChannels {
  enabled(channel: 'email' | 'sms'): boolean;
  sendEmail(r: { staffId: string; to: string; code: string; link: string }): Promise<SendResult>;
  sendSms(r: { staffId: string; phone: string; code: string; link: string }): Promise<SendResult>;
}
export type SendResult = { ok: true; attempts: number } | { ok: false; reason: string };

/** What an alert is about (a critical lab result); implemented by the results side. */
export type AlertSubject = { type: 'lab_result'; id: string };

/**
 * Describes an alert's subject for the view and for the read-back check;
 * implemented outside this module and wired in hub.ts (optional: plain
 * message alerts work without it).
 */
export interface AlertSubjects {
  describe(
    subject: AlertSubject,
  ): Promise<{ patient: AlertView['patient']; result: AlertView['result'] } | null>;
}
