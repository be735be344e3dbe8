import { EntitySchema } from 'typeorm';

/*
 * Escalation (ADR 0021). Times are UTC ISO 8601 text; structured parts are
 * JSON text (the plan snapshot, the run state). The timeline is append-only.
 */

export interface PolicyRow {
  id: string;
  name: string;
  unitId: string | null;
  /** JSON `EscalationMatch`. */
  match: string;
  /** JSON `EscalationStep[]`. */
  steps: string;
  /** JSON `EscalationTarget`. */
  failSafe: string;
  createdAt: string;
  updatedAt: string;
}

export interface EscalationRow {
  id: string;
  messageId: string;
  conversationId: string;
  unitId: string | null;
  kind: string;
  priority: string;
  state: string;
  policyId: string | null;
  policyName: string;
  /** JSON `Plan`: the snapshot the escalation runs from. */
  plan: string;
  /** JSON `RunState`. */
  run: string;
  /** JSON `{ type, id }` or null. */
  subject: string | null;
  /** JSON acknowledgement or null. */
  acknowledged: string | null;
  /** JSON read-back or null. */
  readBack: string | null;
  /** Bumped by every change; a pending step timer carries the value it expects. */
  version: number;
  nextAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Everyone an escalation ever asked (for "targets see theirs"). */
export interface TargetRow {
  escalationId: string;
  userId: string;
}

export interface TimelineRow {
  id: string;
  escalationId: string;
  seq: number;
  at: string;
  type: string;
  /** JSON `AlertTimelineEntry`. */
  entry: string;
}

/** Where an external send is: `pending` until its outcome is written with it. */
export const OUTBOX_STATES = ['pending', 'sent', 'failed', 'skipped'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

/**
 * One external send an `external` step decided on, written in the step's
 * transaction (the outbox). No message text and no addresses: the code and
 * the link are built at send time, the addresses read then.
 */
export interface OutboxRow {
  id: string;
  escalationId: string;
  /** The step's index in the plan snapshot. */
  step: number;
  channel: 'email' | 'sms';
  /** JSON array of the user ids to reach. */
  targets: string;
  state: OutboxState;
  /** Claims so far (the first is the deciding node's); a repeat means a send was interrupted. */
  attempts: number;
  /** The node (process) sending it now, or last. */
  claimedBy: string | null;
  /** Until when the claim holds; another node may take a pending row after it. */
  claimedUntil: string | null;
  createdAt: string;
  doneAt: string | null;
}

/** The duty role that acts as a unit's duty administrator (searched up the unit tree). */
export interface DutyAdminRow {
  unitId: string;
  roleId: string;
  updatedAt: string;
}

const v = (length: number, nullable = false, name?: string) => ({
  type: 'varchar' as const,
  length,
  nullable,
  ...(name ? { name } : {}),
});

export const PolicyEntity = new EntitySchema<PolicyRow>({
  name: 'EscalationPolicy',
  tableName: 'escalation_policy',
  columns: {
    id: { ...v(36), primary: true },
    name: v(200),
    unitId: v(36, true, 'unit_id'),
    match: { type: 'text' },
    steps: { type: 'text' },
    failSafe: { type: 'text', name: 'fail_safe' },
    createdAt: v(30, false, 'created_at'),
    updatedAt: v(30, false, 'updated_at'),
  },
});

export const EscalationEntity = new EntitySchema<EscalationRow>({
  name: 'Escalation',
  tableName: 'escalation',
  columns: {
    id: { ...v(36), primary: true },
    messageId: v(36, false, 'message_id'),
    conversationId: v(36, false, 'conversation_id'),
    unitId: v(36, true, 'unit_id'),
    kind: v(20),
    priority: v(10),
    state: v(15),
    policyId: v(36, true, 'policy_id'),
    policyName: v(200, false, 'policy_name'),
    plan: { type: 'text' },
    run: { type: 'text' },
    subject: { type: 'text', nullable: true },
    acknowledged: { type: 'text', nullable: true },
    readBack: { type: 'text', nullable: true, name: 'read_back' },
    version: { type: 'integer', default: 0 },
    nextAt: v(30, true, 'next_at'),
    createdAt: v(30, false, 'created_at'),
    updatedAt: v(30, false, 'updated_at'),
  },
});

export const TargetEntity = new EntitySchema<TargetRow>({
  name: 'EscalationTarget',
  tableName: 'escalation_target',
  columns: {
    escalationId: { ...v(36, false, 'escalation_id'), primary: true },
    userId: { ...v(36, false, 'user_id'), primary: true },
  },
});

export const TimelineEntity = new EntitySchema<TimelineRow>({
  name: 'EscalationTimeline',
  tableName: 'escalation_timeline',
  columns: {
    id: { ...v(36), primary: true },
    escalationId: v(36, false, 'escalation_id'),
    seq: { type: 'integer' },
    at: v(30),
    type: v(20),
    entry: { type: 'text' },
  },
});

export const DutyAdminEntity = new EntitySchema<DutyAdminRow>({
  name: 'EscalationDutyAdmin',
  tableName: 'escalation_duty_admin',
  columns: {
    unitId: { ...v(36, false, 'unit_id'), primary: true },
    roleId: v(36, false, 'role_id'),
    updatedAt: v(30, false, 'updated_at'),
  },
});

export const OutboxEntity = new EntitySchema<OutboxRow>({
  name: 'EscalationOutbox',
  tableName: 'escalation_outbox',
  columns: {
    id: { ...v(36), primary: true },
    escalationId: v(36, false, 'escalation_id'),
    step: { type: 'integer' },
    channel: v(10),
    targets: { type: 'text' },
    state: v(10),
    attempts: { type: 'integer', default: 0 },
    claimedBy: v(36, true, 'claimed_by'),
    claimedUntil: v(30, true, 'claimed_until'),
    createdAt: v(30, false, 'created_at'),
    doneAt: v(30, true, 'done_at'),
  },
});

export const ESCALATION_ENTITIES = [
  PolicyEntity,
  EscalationEntity,
  TargetEntity,
  TimelineEntity,
  DutyAdminEntity,
  OutboxEntity,
];
