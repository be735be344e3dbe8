import type { LabResultView, OnCallView } from '@konsilium/shared';
import type { EntityManager } from 'typeorm';
import type { Actor, RequestMeta } from '../../platform/http/actor.js';
import type { AuditEntry } from '../audit/index.js';

/*
 * What the result alerts need of other modules; wired in hub.ts. Nothing here
 * is imported from another module: the shapes are structural.
 */

/** Of the results module: read a result, find critical results for the start-up sweep. */
export interface AlertingResults {
  getResult(id: string): Promise<LabResultView | null>;
  /** Ids (and receive times) of critical results received at or after `since` (ISO), oldest first. */
  criticalSince(since: string | null, limit: number): Promise<{ id: string; receivedAt: string }[]>;
  /** Resolves when the ingest is idle, at the latest after `maxMs` (alerts yield to ACKs). */
  whenQuiet(maxMs: number): Promise<void>;
}

/** A unit as the directory describes it (flattened tree). */
export interface AlertingUnit {
  id: string;
  name: string;
  code: string | null;
  parentId: string | null;
  active: boolean;
}

/** Of the directory. */
export interface AlertingPeople {
  /** Active staff holding this external identifier (`system` empty: any system). */
  byExternalId(system: string, value: string): Promise<string[]>;
  /** Every unit (active and not). */
  units(): Promise<AlertingUnit[]>;
  /** Display names of these people (active or not). */
  names(ids: readonly string[]): Promise<Map<string, string>>;
}

/** Of rosters. */
export interface AlertingRosters {
  /** The unit's active duty roles, oldest first. */
  rolesOfUnit(unitId: string): Promise<{ id: string; name: string; createdAt: string }[]>;
  resolveOnCall(roleId: string, at: Date): Promise<OnCallView>;
}

/** Of messaging: a keyed conversation (one per key, found again on retry) and a send by id. */
export interface AlertingMessaging {
  openConversation(
    actor: Actor,
    input: {
      key: string;
      title: string;
      memberIds: string[];
      unitId?: string;
      patient?: { system: string; value: string; label?: string };
    },
    meta: RequestMeta,
  ): Promise<{ id: string }>;
  send(
    actor: Actor,
    conversationId: string,
    input: { id: string; text: string; priority: 'critical'; kind: 'order' },
    meta: RequestMeta,
  ): Promise<{ id: string }>;
  /**
   * Opens keyed conversations, each with its first message, and runs `also`
   * in the same transaction (all or nothing); items not opened (key or
   * message exists, a member not active) come back in `skipped`.
   */
  openMany(
    actor: Actor,
    items: {
      key: string;
      conversationId: string;
      title: string;
      memberIds: string[];
      unitId?: string;
      patient?: { system: string; value: string; label?: string };
      message: { id: string; text: string; priority: 'critical'; kind: 'order' };
      meta?: RequestMeta;
    }[],
    meta: RequestMeta,
    also: (w: {
      tx: EntityManager;
      opened: string[];
      audit(entry: AuditEntry): void;
      toUser(userId: string, type: string, data: unknown): void;
      afterCommit(fn: () => void): void;
    }) => Promise<void>,
  ): Promise<{ opened: string[]; skipped: string[] }>;
}

/** The subject of an alert (contracts-alerts.md). */
export interface AlertSubjectRef {
  type: 'lab_result';
  id: string;
}

/** What a lab-result subject looks like in an alert view (AlertView's `patient` and `result`). */
export interface AlertSubjectDescription {
  patient: { identifiers: { system: string; value: string }[]; name?: string };
  result: {
    resultId: string;
    test: { code: string; display?: string };
    value: string;
    units?: string;
    referenceRange?: string;
    flag: string;
    observedAt?: string;
  };
}

/** The `AlertSubjects` port the escalation module reads subjects through. */
export interface AlertSubjects {
  describe(subject: AlertSubjectRef): Promise<AlertSubjectDescription | null>;
}

/** An alert message whose escalation alerting starts. */
export interface AlertStartInput {
  messageId: string;
  conversationId: string;
  unitId: string | null;
  priority: 'urgent' | 'critical';
  kind: 'message' | 'order' | 'critical_result';
  targets: string[];
  roleId?: string;
  subject?: AlertSubjectRef;
}

/** Of the escalation module (contracts-alerts.md, "Ports"). */
export interface AlertingEscalation {
  startForMessage(input: AlertStartInput): Promise<{ alertId: string }>;
  failSafeFor(input: {
    unitId: string | null;
    priority: 'urgent' | 'critical';
    kind: 'message' | 'order' | 'critical_result';
  }): Promise<{ userIds: string[]; label: string }>;
  /**
   * Escalations of alert messages written in the caller's transaction:
   * `write` inside it, `committed` after it commits, `discard` if it does not.
   * Messages escalated already are not in `alertIds`.
   */
  prepareStarts(inputs: AlertStartInput[]): Promise<{
    alertIds: Map<string, string>;
    events: { userId: string; view: unknown }[];
    write(tx: EntityManager, audit: (entries: AuditEntry[]) => void): Promise<void>;
    committed(): void;
    /** The transaction did not commit: the prepared timers are forgotten. */
    discard(): void;
  }>;
  /** Tells escalation not to start its own escalation for this message (we start it). */
  ignoreMessage(messageId: string): void;
  /** The alert's state and read-back (confirmation of the value and the action taken), once given. */
  alertStatus(alertId: string): Promise<{
    state: 'open' | 'acknowledged' | 'cancelled';
    acknowledgedBy?: { id: string; fullName: string; response: string; at: string };
    readBack?: { value: string; action: string; at: string; by: { id: string; fullName: string } };
  } | null>;
}
