import type { EntityManager } from 'typeorm';
import type { OnCallView, Role, StaffCategory } from '@konsilium/shared';

/** What messaging needs of the directory and identity; wired in hub.ts. */
export interface MessagingPeople {
  /** Of these ids, the ones that are active staff. */
  activeIds(ids: readonly string[]): Promise<Set<string>>;
  /** Active staff matching any selector: a unit (with its sub-units), a category or a role. */
  audience(selector: {
    unitIds?: string[] | undefined;
    categories?: StaffCategory[] | undefined;
    roles?: Role[] | undefined;
  }): Promise<string[]>;
  /** Whether the user belongs to the unit or one of its sub-units. */
  inUnit(userId: string, unitId: string): Promise<boolean>;
}

/** What messaging needs of the files module (attachments, MSG-10); wired in hub.ts. */
export interface MessagingAttachments {
  /** Throws unless every id is an unclaimed upload of this user in this conversation; describes them. */
  check(ids: string[], conversationId: string, uploaderId: string): Promise<AttachmentInfo[]>;
  /** Attaches the uploads to the message inside the send transaction. */
  claim(tx: EntityManager, ids: string[], messageId: string): Promise<void>;
  /** Attachments of these messages, oldest upload first. */
  forMessages(messageIds: string[]): Promise<Map<string, AttachmentInfo[]>>;
}

export interface AttachmentInfo {
  id: string;
  name: string;
  contentType: string;
  size: number;
}

/** What messaging needs of rosters (role addressing, RTE-1); wired in hub.ts. */
export interface MessagingOnCall {
  /** Who answers for a duty role at `at`; throws `rosters.role_not_found` for an unknown role. */
  resolve(roleId: string, at: Date): Promise<OnCallView>;
}

/** What messaging needs of rosters to address a team (RTE-2); wired in hub.ts. */
export interface MessagingTeams {
  /** The team's members at `at`; throws `rosters.team_not_found` for an unknown team. */
  members(teamId: string, at: Date): Promise<{ id: string; fullName: string }[]>;
}

/** Events messaging puts on the hub's bus, after the commit (escalation, notification policy, metrics). */
declare module '../../platform/events.js' {
  interface BusEvents {
    /** A message was stored (not a resend). `recipientIds` excludes the author. */
    'messaging.sent': {
      messageId: string;
      conversationId: string;
      authorId: string;
      priority: 'low' | 'normal' | 'urgent' | 'critical';
      kind: 'informal' | 'order';
      recipientIds: string[];
      /** Sent to a duty role: the role and the people it resolved to. */
      roleId?: string;
      at: string;
    };
    /**
     * Another module asks for per-user stream events (with a `seq`, resumable),
     * e.g. escalation's `alert.updated`. Written in a stream transaction of its own.
     */
    'messaging.user_event': { userIds: string[]; event: string; data: unknown };
    /**
     * Per-user stream events that differ per person, in one stream transaction
     * (the notification policy's `notify.push` / `notify.digest`).
     */
    'messaging.user_events': { items: { userId: string; event: string; data: unknown }[] };
    /** A recipient acknowledged a message with a typed response (MSG-5); `decline` is «Не моё». */
    'messaging.acknowledged': {
      messageId: string;
      conversationId: string;
      userId: string;
      response: 'accepted' | 'coming' | 'call_back' | 'decline';
      minutes?: number;
      at: string;
    };
  }
}
