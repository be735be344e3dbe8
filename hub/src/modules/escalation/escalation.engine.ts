import { randomUUID } from 'node:crypto';
import { In, type EntityManager } from 'typeorm';
import { z } from 'zod';
import {
  AppError,
  type AlertAckRequest,
  type AlertKind,
  type AlertPerson,
  type AlertPriority,
  type AlertResponse,
  type AlertTimelineEntry,
  type AlertView,
  type EscalationTarget,
} from '@konsilium/shared';
import { iso, type Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import { insertMany } from '../../platform/db/insert-many.js';
import { together } from '../../platform/db/together.js';
import type { EventBus } from '../../platform/events.js';
import { BatchRead } from '../../platform/batch-read.js';
import { SYSTEM, type CallContext } from '../../platform/http/actor.js';
import type { Logger } from '../../platform/log/logger.js';
import type { DurableTimerRow, DurableTimers, FiredTimer } from '../../platform/timers/index.js';
import type { AuditEntry, AuditLog } from '../audit/index.js';
import {
  EscalationEntity,
  TargetEntity,
  TimelineEntity,
  type EscalationRow,
  type OutboxRow,
  type TargetRow,
  type TimelineRow,
} from './escalation.entity.js';
import { ExternalOutbox, OUTBOX_MAX_ATTEMPTS, type ClaimedSend } from './escalation.outbox.js';
import type {
  AlertSubject,
  AlertSubjects,
  EscalationChannels,
  EscalationMessaging,
  EscalationPeople,
  EscalationRoles,
} from './escalation.ports.js';
import type { FailSafe, Plan, Policies } from './escalation.policies.js';

/** The timer kind of escalation steps (ADR 0019 / 0021). */
export const STEP_TIMER = 'escalation.step';

const StepPayload = z.object({
  escalationId: z.string(),
  /** The row version the timer was scheduled at; any other change makes it stale. */
  version: z.number().int(),
  /** `step`: run the plan from `index`; `repeat`: the next re-notification of step `index`. */
  resume: z.enum(['step', 'repeat']),
  index: z.number().int().min(0),
});
type StepPayload = z.infer<typeof StepPayload>;

/** A set of people asked at once; `roleId` is kept so a shift change can re-target them. */
interface Group {
  people: AlertPerson[];
  roleId: string | null;
}

/** The mutable part of an escalation (JSON in `escalation.run`). */
interface RunState {
  index: number;
  stepType: string;
  repeatsDone: number;
  /** repeat_chain step index → times the chain was run again. */
  chains: Record<string, number>;
  original: Group;
  targets: Group;
  authorId: string;
}

/** Effects that must wait for the commit: realtime, membership, external sends. */
interface Effects {
  escalationIds: Set<string>;
  members: { conversationId: string; userIds: string[]; authorId: string }[];
  /** Outbox rows written with the steps, claimed by this node: sent after the commit. */
  external: OutboxRow[];
  /** Escalations started in this transaction: their first view is built without reading back. */
  started?: Map<string, { row: EscalationRow; timeline: AlertTimelineEntry[]; to: string[] }>;
}
/** The writes of a batch of starts, buffered until its end (multi-row inserts). */
interface StartBatch {
  rows: EscalationRow[];
  timeline: TimelineRow[];
  targets: TargetRow[];
  outbox: OutboxRow[];
  audits: AuditEntry[];
  /** Last timeline seq of each escalation started in the batch. */
  seqs: Map<string, number>;
  /** The timeline entries of each escalation started in the batch, in order. */
  entries: Map<string, AlertTimelineEntry[]>;
}

/** Starts worked out in memory, to be written in a transaction. */
interface PreparedBatch {
  ids: string[];
  batch: StartBatch;
  timers: DurableTimerRow[];
}

/** Escalations prepared for a caller's transaction ({@link EscalationEngine.prepareStarts}). */
export interface PreparedStarts {
  /** Alert (escalation) id by message id, for the messages prepared. */
  alertIds: Map<string, string>;
  /** The first `alert.updated` of each, to each person asked. */
  events: { userId: string; view: AlertView }[];
  /** Writes the rows in the caller's transaction; the audit rows go to `audit`. */
  write(tx: EntityManager, audit: (entries: AuditEntry[]) => void): Promise<void>;
  /** After the caller's commit: members to add, external channels. */
  committed(): void;
  /** The caller's transaction did not commit: forget the timers armed for these starts. */
  discard(): void;
}

/** A start waiting for its group commit (plan and names resolved before). */
interface PendingStart {
  input: StartInput;
  plan: Plan;
  original: Group;
  resolve: (r: { alertId: string | null }) => void;
  reject: (err: unknown) => void;
}

interface StartInput {
  messageId: string;
  conversationId: string;
  unitId: string | null;
  priority: AlertPriority;
  kind: AlertKind;
  targets: string[];
  roleId?: string;
  subject?: AlertSubject;
  authorId?: string;
  onlyWithPolicy?: boolean;
}

const noEffects = (): Effects => ({ escalationIds: new Set(), members: [], external: [] });

/** Normalised form of a value for the read-back check: case, spaces, decimal comma. */
export const normaliseValue = (v: string) =>
  v.trim().toLowerCase().replace(/\s+/g, '').replace(/,/g, '.');

const ACCEPTING: readonly AlertResponse[] = ['accepted', 'coming', 'call_back'];

export interface EngineDeps {
  db: Database;
  audit: AuditLog;
  clock: Clock;
  log: Logger;
  bus: EventBus;
  timers: DurableTimers;
  policies: Policies;
  people: EscalationPeople;
  roles: EscalationRoles;
  messaging: EscalationMessaging;
  channels: EscalationChannels;
  /** The link put into e-mails and SMS (no patient data): the alert's address in the client. */
  link: (alertId: string) => string;
}

/**
 * The escalation engine (ESC-2, ESC-5): one row per alerted message, its plan
 * snapshot, and one pending durable timer at most. Every change locks the row
 * by bumping `version` (conditionally on `state = 'open'`), so a step, an
 * acknowledgement and a shift change never interleave on one escalation, and a
 * timer scheduled at an older version is stale and does nothing.
 */
export class EscalationEngine {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly ignored = new Set<string>();
  private readonly off: (() => void)[] = [];
  private subjects: AlertSubjects | null = null;
  /** External sends: written with their step, sent after it, sent again after a crash. */
  readonly outbox: ExternalOutbox;

  constructor(private readonly d: EngineDeps) {
    d.timers.register(STEP_TIMER, StepPayload, (p, tx, t) => this.onTimer(p, tx, t));
    this.outbox = new ExternalOutbox({
      db: d.db,
      clock: d.clock,
      log: d.log,
      send: (c) => this.sendExternal(c),
      track: (p) => this.track(p),
    });
  }

  /** Wires the describer of alert subjects (critical results). */
  setSubjects(subjects: AlertSubjects | null): void {
    this.subjects = subjects;
  }

  /** The next `messaging.sent` of this message does not start an escalation (the caller starts it). */
  ignoreMessage(messageId: string): void {
    this.ignored.add(messageId);
  }

  subscribe(): void {
    this.off.push(
      this.d.bus.on('messaging.sent', (e) => this.track(this.onSent(e))),
      this.d.bus.on('messaging.acknowledged', (e) =>
        this.track(
          this.onMessageAck(e.messageId, e.userId, e.response, e.minutes).then(() => undefined),
        ),
      ),
      this.d.bus.on('rosters.shift_changed', (e) => this.track(this.onShiftChange(e))),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.off.splice(0)) off();
    await this.outbox.stop();
    await this.settled();
  }

  /** Settles when every event and after-commit effect so far has been applied (tests wait on it). */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  private track(p: Promise<void>): void {
    const run = p.catch((err: unknown) => this.d.log.error({ err }, 'escalation work failed'));
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  // ------------------------------------------------------------------ start

  private async onSent(e: {
    messageId: string;
    conversationId: string;
    authorId: string;
    priority: string;
    kind: string;
    recipientIds: string[];
    roleId?: string;
  }): Promise<void> {
    if (this.ignored.delete(e.messageId)) return;
    if (e.priority !== 'urgent' && e.priority !== 'critical') return;
    const kind: AlertKind = e.kind === 'order' ? 'order' : 'message';
    const roleUnit = e.roleId ? (await this.d.roles.describe(e.roleId))?.unitId : null;
    const unitId = roleUnit ?? (await this.d.messaging.unitOf(e.conversationId));
    await this.startForMessage({
      messageId: e.messageId,
      conversationId: e.conversationId,
      unitId,
      priority: e.priority,
      kind,
      targets: e.recipientIds,
      authorId: e.authorId,
      ...(e.roleId ? { roleId: e.roleId } : {}),
      onlyWithPolicy: true,
    });
  }

  /**
   * Starts the escalation of a message (idempotent per message). Without a
   * matching policy a critical item gets the built-in plan; anything else
   * (only when `onlyWithPolicy`) is left alone and `alertId` is null.
   */
  async startForMessage(input: StartInput): Promise<{ alertId: string | null }> {
    const existing = await this.byMessage.get(input.messageId);
    if (existing) return { alertId: existing };
    const plan = await this.d.policies.choose(input);
    if (!plan) {
      if (input.onlyWithPolicy) return { alertId: null };
      throw new Error('no plan'); // unreachable: choose() always has one for critical
    }
    const names = await this.names(input.targets);
    const original: Group = {
      people: input.targets.map((id) => ({ id, fullName: names.get(id) ?? '' })),
      roleId: input.roleId ?? null,
    };
    return new Promise<{ alertId: string | null }>((resolve, reject) => {
      this.starts.push({ input, plan, original, resolve, reject });
      if (!this.startScheduled) {
        this.startScheduled = true;
        setImmediate(() => this.track(this.flushStarts()));
      }
    });
  }

  /** Escalation ids by message (starts asked for together share one read). */
  private readonly byMessage = new BatchRead<string, string>(async (messageIds) => {
    const rows = await this.d.db.manager.find(EscalationEntity, {
      select: { id: true, messageId: true },
      where: { messageId: In(messageIds) },
    });
    return new Map(rows.map((r) => [r.messageId, r.id]));
  }, 200);

  private starts: PendingStart[] = [];
  /** The writes of a batch of starts, made at once at its end (keyed by its transaction). */
  private readonly startBatches = new WeakMap<EntityManager, StartBatch>();
  private startScheduled = false;
  private startRunning = false;

  /**
   * Group commit of starts: every start asked for while the previous batch
   * commits is written in the next transaction (rows, first steps, timers,
   * timeline, audit). If a batch fails (e.g. a start racing a duplicate),
   * each of its starts runs again alone, so one bad start fails only itself.
   */
  private async flushStarts(): Promise<void> {
    this.startScheduled = false;
    if (this.startRunning) return;
    this.startRunning = true;
    try {
      while (this.starts.length > 0) {
        const batch = this.starts.splice(0, 200);
        const fx = noEffects();
        let ids: string[] | null = null;
        try {
          ids = await this.writeStarts(batch, fx);
        } catch {
          ids = null;
        }
        if (ids) {
          this.track(this.apply(fx));
          batch.forEach((b, i) => b.resolve({ alertId: ids[i]! }));
          continue;
        }
        for (const b of batch) {
          const one = noEffects();
          try {
            const [id] = await this.writeStarts([b], one);
            this.track(this.apply(one));
            b.resolve({ alertId: id! });
          } catch (err) {
            const again = await this.d.db.manager
              .findOneBy(EscalationEntity, { messageId: b.input.messageId })
              .catch(() => null);
            if (again) b.resolve({ alertId: again.id });
            else b.reject(err);
          }
        }
      }
    } finally {
      this.startRunning = false;
      if (this.starts.length > 0 && !this.startScheduled) {
        this.startScheduled = true;
        setImmediate(() => this.track(this.flushStarts()));
      }
    }
  }

  /**
   * Runs the first steps of each start in memory, then writes them in one
   * transaction: the steps are worked out before it opens (on SQLite the one
   * connection waits for nobody's JavaScript), the rows are written with the
   * run state those steps leave (targets, step, next time).
   */
  private async writeStarts(items: readonly PendingStart[], fx: Effects): Promise<string[]> {
    const prepared = await this.prepare(items, fx);
    try {
      await this.d.db.transaction((tx) =>
        this.writePrepared(tx, prepared, (entries) => this.d.audit.appendMany(tx, entries)),
      );
    } catch (err) {
      this.d.timers.discard(prepared.timers);
      throw err;
    }
    return prepared.ids;
  }

  /** The first steps of these starts, worked out in memory (nothing written). */
  private async prepare(items: readonly PendingStart[], fx: Effects): Promise<PreparedBatch> {
    const batch: StartBatch = {
      rows: [],
      timeline: [],
      targets: [],
      outbox: [],
      audits: [],
      seqs: new Map(),
      entries: new Map(),
    };
    // Stands for the transaction while the starts are worked out: every write
    // of a start goes into `batch` (and its timers into `timers`), none of
    // them to the database, until writePrepared.
    const preparing = {} as EntityManager;
    this.startBatches.set(preparing, batch);
    try {
      const { value: ids, rows: timers } = await this.d.timers.collect(preparing, async () => {
        const out: string[] = [];
        for (const [k, b] of items.entries()) {
          // Long runs let waiting I/O in (other commits' answers, ACKs) now and then.
          if (k > 0 && k % 32 === 0) await new Promise((r) => setImmediate(r));
          out.push(await this.insertStart(preparing, b, fx));
        }
        return out;
      });
      fx.started ??= new Map();
      for (const row of batch.rows)
        fx.started.set(row.id, {
          row,
          timeline: batch.entries.get(row.id) ?? [],
          to: batch.targets.filter((t) => t.escalationId === row.id).map((t) => t.userId),
        });
      return { ids, batch, timers };
    } finally {
      this.startBatches.delete(preparing);
    }
  }

  /** Writes prepared starts in `tx`; their audit rows go to `audit`. */
  private async writePrepared(
    tx: EntityManager,
    { batch, timers }: PreparedBatch,
    audit: (entries: AuditEntry[]) => Promise<unknown> | void,
  ): Promise<void> {
    await together(
      tx,
      () => insertMany(tx, EscalationEntity, batch.rows),
      () => insertMany(tx, TimelineEntity, batch.timeline),
      () => insertMany(tx, TargetEntity, batch.targets),
      () => this.outbox.write(tx, batch.outbox),
      () => this.d.timers.write(tx, timers),
      () => Promise.resolve(audit(batch.audits)),
    );
  }

  /**
   * Escalations of messages a caller is about to write, prepared so that the
   * caller writes them in its own transaction (critical results: the message,
   * its conversation and the escalation commit together). Plans, first steps,
   * timers, timeline and audit rows and the first `alert.updated` views are
   * worked out now; `write` goes inside the caller's transaction, `committed`
   * after it commits. Messages already escalated are left out (`alertIds`
   * lacks them): the caller opens those the slow way, which finds them.
   */
  async prepareStarts(inputs: readonly StartInput[]): Promise<PreparedStarts> {
    const items: PendingStart[] = [];
    await Promise.all(
      inputs.map(async (input) => {
        if (await this.byMessage.get(input.messageId)) return;
        const plan = await this.d.policies.choose(input);
        if (!plan) return;
        const names = await this.names(input.targets);
        const original: Group = {
          people: input.targets.map((id) => ({ id, fullName: names.get(id) ?? '' })),
          roleId: input.roleId ?? null,
        };
        items.push({ input, plan, original, resolve: () => undefined, reject: () => undefined });
      }),
    );
    const fx = noEffects();
    const prepared = await this.prepare(items, fx);
    const alertIds = new Map(items.map((b, i) => [b.input.messageId, prepared.ids[i]!]));
    const events: { userId: string; view: AlertView }[] = [];
    for (const started of fx.started?.values() ?? []) {
      const view = await this.viewOf(started.row, started.timeline);
      for (const userId of started.to) events.push({ userId, view });
    }
    // alert.updated goes out with the caller's commit: not again after it.
    for (const id of fx.started?.keys() ?? []) fx.escalationIds.delete(id);
    return {
      alertIds,
      events,
      write: (tx, audit) => this.writePrepared(tx, prepared, audit),
      committed: () => this.track(this.apply(fx)),
      discard: () => this.d.timers.discard(prepared.timers),
    };
  }

  private async insertStart(tx: EntityManager, b: PendingStart, fx: Effects): Promise<string> {
    const { input, plan } = b;
    const now = this.d.clock.now();
    const id = randomUUID();
    const run: RunState = {
      index: 0,
      stepType: plan.steps[0]?.type ?? 'fail_safe',
      repeatsDone: 0,
      chains: {},
      original: b.original,
      targets: { people: [], roleId: null },
      authorId: input.authorId ?? input.targets[0] ?? '',
    };
    const row: EscalationRow = {
      id,
      messageId: input.messageId,
      conversationId: input.conversationId,
      unitId: input.unitId,
      kind: input.kind,
      priority: input.priority,
      state: 'open',
      policyId: plan.policyId,
      policyName: plan.policyName,
      plan: JSON.stringify(plan),
      run: JSON.stringify(run),
      subject: input.subject ? JSON.stringify(input.subject) : null,
      acknowledged: null,
      readBack: null,
      version: 0,
      nextAt: null,
      createdAt: iso(now),
      updatedAt: iso(now),
    };
    const batch = this.startBatches.get(tx)!;
    batch.seqs.set(id, 0);
    await this.timeline(tx, id, { at: iso(now), type: 'started', note: plan.policyName });
    await this.appendAudit(tx, {
      ...SYSTEM,
      action: 'escalation.start',
      targetType: 'escalation',
      targetId: id,
      details: {
        messageId: input.messageId,
        policyId: plan.policyId,
        kind: input.kind,
        priority: input.priority,
        targets: input.targets.length,
      },
    });
    const from = fx.members.length;
    await this.advance(tx, row, plan, run, 0, now, fx);
    // The message's recipients are members of its conversation already: no join for them.
    const members = new Set(input.targets);
    const joins = fx.members
      .splice(from)
      .map((m) => ({ ...m, userIds: m.userIds.filter((u) => !members.has(u)) }))
      .filter((m) => m.userIds.length > 0);
    fx.members.push(...joins);
    // Written once, with the state its first steps left (targets, step, next time).
    batch.rows.push({ ...row, run: JSON.stringify(run) });
    return id;
  }

  /** The fail-safe people of the plan that would apply to such an item. */
  async failSafeFor(q: {
    unitId: string | null;
    priority: AlertPriority;
    kind: AlertKind;
  }): Promise<{ userIds: string[]; label: string }> {
    const plan = (await this.d.policies.choose(q)) ?? {
      policyId: null,
      policyName: 'built-in',
      steps: [],
      failSafe: { kind: 'builtin' } as FailSafe,
    };
    const g = await this.resolveFailSafe(plan.failSafe, q.unitId, this.d.clock.now());
    return { userIds: g.people.map((p) => p.id), label: g.label };
  }

  // ------------------------------------------------------------------ steps

  private async onTimer(p: StepPayload, tx: EntityManager, t: FiredTimer): Promise<void> {
    const row = await this.lock(tx, p.escalationId, p.version);
    if (!row) return; // acknowledged, cancelled or moved on since: stale
    const plan = JSON.parse(row.plan) as Plan;
    const run = JSON.parse(row.run) as RunState;
    const now = this.d.clock.now();
    const fx = noEffects();
    if (p.resume === 'repeat') {
      const step = plan.steps[p.index];
      if (step?.type !== 'repeat') return;
      run.repeatsDone += 1;
      await this.record(tx, row, {
        at: iso(now),
        type: 'repeated',
        step: p.index,
        stepType: 'repeat',
        targets: run.targets.people,
        note: `${run.repeatsDone}/${step.times}`,
      });
      fx.escalationIds.add(row.id);
      if (run.repeatsDone < step.times) {
        await this.schedule(tx, row, run, p.index, 'repeat', now, step.everySeconds);
      } else await this.advance(tx, row, plan, run, p.index + 1, now, fx);
    } else await this.advance(tx, row, plan, run, p.index, now, fx);
    await this.save(tx, row, run);
    t.afterCommit(() => this.track(this.apply(fx)));
  }

  /**
   * Runs the plan from step `from` until a step has to wait (a timer is
   * scheduled) or the plan ends in the fail-safe. Instant steps (notify,
   * backup, duty_admin, external, repeat_chain) run one after the other.
   */
  private async advance(
    tx: EntityManager,
    row: EscalationRow,
    plan: Plan,
    run: RunState,
    from: number,
    now: Date,
    fx: Effects,
  ): Promise<void> {
    fx.escalationIds.add(row.id);
    let i = from;
    for (let guard = 0; guard < 10_000; guard++) {
      const step = plan.steps[i];
      run.index = i;
      if (!step) {
        run.stepType = 'fail_safe';
        const g = await this.resolveFailSafe(plan.failSafe, row.unitId, now);
        await this.retarget(tx, row, run, { people: g.people, roleId: g.roleId }, fx);
        await this.record(tx, row, {
          at: iso(now),
          type: 'fail_safe',
          step: i,
          stepType: 'fail_safe',
          targets: g.people,
          note: g.label,
        });
        row.nextAt = null;
        return;
      }
      run.stepType = step.type;
      const base = { at: iso(now), step: i, stepType: step.type };
      switch (step.type) {
        case 'notify': {
          const g = await this.refresh(run.original, now);
          run.original = g;
          await this.retarget(tx, row, run, g, fx);
          await this.record(tx, row, { ...base, type: 'notified', targets: g.people });
          i += 1;
          break;
        }
        case 'wait':
          await this.record(tx, row, { ...base, type: 'escalated', note: `${step.seconds} s` });
          await this.schedule(tx, row, run, i + 1, 'step', now, step.seconds);
          return;
        case 'repeat':
          run.repeatsDone = 0;
          await this.schedule(tx, row, run, i, 'repeat', now, step.everySeconds);
          return;
        case 'backup': {
          const g = await this.resolveTarget(step.target, now);
          await this.retarget(tx, row, run, g, fx);
          await this.record(tx, row, { ...base, type: 'escalated', targets: g.people });
          i += 1;
          break;
        }
        case 'duty_admin': {
          const roleId = await this.d.policies.dutyAdminRole(row.unitId);
          if (roleId) {
            const g = await this.resolveTarget({ kind: 'role', id: roleId }, now);
            await this.retarget(tx, row, run, g, fx);
            await this.record(tx, row, { ...base, type: 'escalated', targets: g.people });
          } else {
            await this.record(tx, row, {
              ...base,
              type: 'escalated',
              targets: [],
              note: 'no duty administrator role is set for the unit',
            });
          }
          i += 1;
          break;
        }
        case 'external': {
          if (run.targets.people.length) {
            // The send is written with the step (the outbox), so a crash cannot lose it.
            const send = this.outbox.create({
              escalationId: row.id,
              step: i,
              channel: step.channel,
              userIds: run.targets.people.map((p) => p.id),
            });
            const batch = this.startBatches.get(tx);
            if (batch) batch.outbox.push(send);
            else await this.outbox.write(tx, [send]);
            fx.external.push(send);
          }
          await this.audit(tx, row, 'escalation.step', {
            step: i,
            stepType: 'external',
            channel: step.channel,
            targets: run.targets.people.length,
          });
          i += 1;
          break;
        }
        case 'repeat_chain': {
          const done = run.chains[String(i)] ?? 0;
          if (done < step.times) {
            run.chains[String(i)] = done + 1;
            await this.record(tx, row, { ...base, type: 'escalated', note: `chain ${done + 1}` });
            i = 0;
          } else i += 1;
          break;
        }
      }
    }
    throw new Error('escalation plan does not terminate');
  }

  /** Makes `g` the current targets: remembered as asked, added to the conversation. */
  private async retarget(
    tx: EntityManager,
    row: EscalationRow,
    run: RunState,
    g: Group,
    fx: Effects,
  ): Promise<void> {
    run.targets = { people: g.people, roleId: g.roleId };
    const ids = g.people.map((p) => p.id);
    if (ids.length === 0) return;
    const batch = this.startBatches.get(tx);
    if (batch?.seqs.has(row.id)) {
      // A start of this batch: its targets so far are in the batch, not yet in the table.
      const had = new Set(
        batch.targets.filter((t) => t.escalationId === row.id).map((t) => t.userId),
      );
      const fresh = ids.filter((u) => !had.has(u));
      for (const userId of fresh) batch.targets.push({ escalationId: row.id, userId });
      if (fresh.length)
        fx.members.push({
          conversationId: row.conversationId,
          userIds: fresh,
          authorId: run.authorId,
        });
      return;
    }
    const known = new Set(
      (await tx.findBy(TargetEntity, { escalationId: row.id, userId: In(ids) })).map(
        (r) => r.userId,
      ),
    );
    const fresh = ids.filter((u) => !known.has(u));
    for (const userId of fresh) await tx.insert(TargetEntity, { escalationId: row.id, userId });
    if (fresh.length)
      fx.members.push({
        conversationId: row.conversationId,
        userIds: fresh,
        authorId: run.authorId,
      });
  }

  private async schedule(
    tx: EntityManager,
    row: EscalationRow,
    run: RunState,
    index: number,
    resume: 'step' | 'repeat',
    now: Date,
    seconds: number,
  ): Promise<void> {
    const dueAt = new Date(now.getTime() + seconds * 1000);
    row.nextAt = iso(dueAt);
    await this.d.timers.schedule(tx, {
      kind: STEP_TIMER,
      key: row.id,
      dueAt,
      payload: { escalationId: row.id, version: row.version, resume, index },
    });
    void run;
  }

  // ------------------------------------------------------------------ responses

  /** `POST /api/v1/alerts/{id}/ack`. */
  async ack(
    ctx: CallContext & { actorId: string },
    id: string,
    input: AlertAckRequest,
  ): Promise<AlertView> {
    const row = await this.d.db.manager.findOneBy(EscalationEntity, { id });
    if (!row) throw new AppError('alert.not_found');
    const asked = await this.d.db.manager.countBy(TargetEntity, {
      escalationId: id,
      userId: ctx.actorId,
    });
    if (asked === 0) throw new AppError('alert.not_target');
    const accepting = ACCEPTING.includes(input.response);
    if (row.kind === 'critical_result' && accepting) {
      if (!input.readBack) throw new AppError('alert.read_back_required', { field: 'readBack' });
      await this.checkReadBack(row, input.readBack.value);
    }
    if (row.state !== 'open') {
      // A late read-back of an alert acknowledged through messaging is still taken.
      if (row.state === 'acknowledged' && !row.readBack && input.readBack && accepting) {
        await this.d.db.transaction(async (tx) => {
          const locked = await this.lockAny(tx, id);
          await this.storeReadBack(tx, locked, ctx, input.readBack!);
        });
        this.track(this.apply({ ...noEffects(), escalationIds: new Set([id]) }));
        await this.settled();
        return this.view(id);
      }
      throw new AppError('alert.closed');
    }
    const done = await this.respond(id, ctx, input.response, input.note, input.readBack);
    if (!done) throw new AppError('alert.closed');
    await this.settled();
    return this.view(id);
  }

  /** An acknowledgement of the alert's message through messaging (same effect, no read-back). */
  async onMessageAck(
    messageId: string,
    userId: string,
    response: AlertResponse,
    minutes?: number,
  ): Promise<boolean> {
    const row = await this.d.db.manager.findOneBy(EscalationEntity, { messageId });
    if (!row || row.state !== 'open') return false;
    const asked = await this.d.db.manager.countBy(TargetEntity, { escalationId: row.id, userId });
    if (asked === 0) return false;
    void minutes;
    return this.respond(row.id, { ...SYSTEM, actorId: userId }, response, undefined, undefined);
  }

  /** Applies a response under the row lock; false when the alert is no longer open. */
  private async respond(
    id: string,
    ctx: CallContext & { actorId: string },
    response: AlertResponse,
    note: string | undefined,
    readBack: { value: string; action: string } | undefined,
  ): Promise<boolean> {
    const fx = noEffects();
    if (response === 'decline') {
      // Only a current target moves the chain on; a past one's «Не моё» is just recorded.
      const current = await this.d.db.manager.findOneBy(EscalationEntity, { id });
      const run = current ? (JSON.parse(current.run) as RunState) : null;
      if (run && !run.targets.people.some((p) => p.id === ctx.actorId)) {
        const recorded = await this.d.db.transaction(async (tx) => {
          const row = await this.lockAny(tx, id);
          if (row.state !== 'open') return false;
          const actor = {
            id: ctx.actorId,
            fullName: (await this.names([ctx.actorId])).get(ctx.actorId) ?? '',
          };
          await this.record(
            tx,
            row,
            {
              at: iso(this.d.clock.now()),
              type: 'declined',
              step: run.index,
              stepType: run.stepType,
              actor,
              response,
              note: note ?? 'not a current target: the chain goes on as planned',
            },
            ctx,
          );
          return true;
        });
        if (recorded) this.track(this.apply({ ...fx, escalationIds: new Set([id]) }));
        return recorded;
      }
    }
    const ok = await this.d.db.transaction(async (tx) => {
      // Timers first, then the row: the same lock order as a firing step (no deadlock).
      const cancelled = await this.d.timers.cancel(tx, { kind: STEP_TIMER, key: id });
      const row = await this.lock(tx, id);
      if (!row) return false;
      const now = this.d.clock.now();
      const actor = {
        id: ctx.actorId,
        fullName: (await this.names([ctx.actorId])).get(ctx.actorId) ?? '',
      };
      const plan = JSON.parse(row.plan) as Plan;
      const run = JSON.parse(row.run) as RunState;
      fx.escalationIds.add(id);
      if (response === 'decline') {
        await this.record(
          tx,
          row,
          {
            at: iso(now),
            type: 'declined',
            step: run.index,
            stepType: run.stepType,
            actor,
            response,
            ...(note ? { note } : {}),
          },
          ctx,
        );
        // «Не моё»: the next step at once (at the fail-safe there is none: it stays open).
        if (run.index < plan.steps.length) {
          row.nextAt = null;
          await this.advance(tx, row, plan, run, run.index + 1, now, fx);
        }
        await this.save(tx, row, run);
        return true;
      }
      row.state = 'acknowledged';
      row.nextAt = null;
      row.acknowledged = JSON.stringify({
        id: actor.id,
        fullName: actor.fullName,
        response,
        at: iso(now),
        ...(note ? { note } : {}),
      });
      await this.record(
        tx,
        row,
        {
          at: iso(now),
          type: 'acknowledged',
          step: run.index,
          stepType: run.stepType,
          actor,
          response,
          ...(note ? { note } : {}),
        },
        ctx,
      );
      await this.record(tx, row, {
        at: iso(now),
        type: 'cancelled',
        step: run.index,
        stepType: run.stepType,
        note: `${cancelled} pending step(s) cancelled`,
      });
      if (readBack) await this.storeReadBack(tx, row, ctx, readBack);
      await this.save(tx, row, run);
      return true;
    });
    if (ok) this.track(this.apply(fx));
    return ok;
  }

  private async checkReadBack(row: EscalationRow, value: string): Promise<void> {
    if (!row.subject || !this.subjects) return;
    const about = await this.subjects.describe(JSON.parse(row.subject) as AlertSubject);
    const expected = about?.result?.value;
    if (expected !== undefined && normaliseValue(expected) !== normaliseValue(value)) {
      throw new AppError('alert.read_back_mismatch', { field: 'readBack.value' });
    }
  }

  private async storeReadBack(
    tx: EntityManager,
    row: EscalationRow,
    ctx: CallContext & { actorId: string },
    readBack: { value: string; action: string },
  ): Promise<void> {
    const now = iso(this.d.clock.now());
    const by = {
      id: ctx.actorId,
      fullName: (await this.names([ctx.actorId])).get(ctx.actorId) ?? '',
    };
    row.readBack = JSON.stringify({ ...readBack, at: now, by });
    await tx.update(EscalationEntity, { id: row.id }, { readBack: row.readBack, updatedAt: now });
    // The value and action are clinical content: kept on the alert, not in the audit or timeline.
    await this.record(tx, row, { at: now, type: 'read_back', actor: by }, ctx);
  }

  /** A shift change re-targets role steps of open escalations to the incoming people. */
  private async onShiftChange(e: {
    roleId: string;
    at: string;
    outgoing: string[];
    incoming: string[];
  }): Promise<void> {
    const open = await this.d.db.manager.findBy(EscalationEntity, { state: 'open' });
    const hit = open.filter((r) => {
      const run = JSON.parse(r.run) as RunState;
      return run.targets.roleId === e.roleId || run.original.roleId === e.roleId;
    });
    if (hit.length === 0) return;
    const names = await this.names(e.incoming);
    const incoming = e.incoming.map((id) => ({ id, fullName: names.get(id) ?? '' }));
    const out = new Set(e.outgoing);
    for (const r of hit) {
      const fx = noEffects();
      await this.d.db.transaction(async (tx) => {
        const row = await this.lockAny(tx, r.id);
        if (row.state !== 'open') return;
        const run = JSON.parse(row.run) as RunState;
        const swap = (g: Group): Group => {
          const kept = g.people.filter((p) => !out.has(p.id));
          const known = new Set(kept.map((p) => p.id));
          return { ...g, people: [...kept, ...incoming.filter((p) => !known.has(p.id))] };
        };
        // Every hub node sees the same shift boundary: a swap already made
        // (by another node, whose commit came first) changes nothing.
        const original = run.original.roleId === e.roleId ? swap(run.original) : run.original;
        const targets = run.targets.roleId === e.roleId ? swap(run.targets) : run.targets;
        const changedOriginal = !samePeople(original, run.original);
        run.original = original;
        if (run.targets.roleId !== e.roleId || samePeople(targets, run.targets)) {
          if (changedOriginal) await this.save(tx, row, run, false);
          return;
        }
        await this.retarget(tx, row, run, targets, fx);
        await this.record(tx, row, {
          at: iso(this.d.clock.now()),
          type: 'retargeted',
          step: run.index,
          stepType: run.stepType,
          targets: run.targets.people,
          note: 'shift change',
        });
        fx.escalationIds.add(row.id);
        await this.save(tx, row, run, false);
      });
      this.track(this.apply(fx));
    }
  }

  // ------------------------------------------------------------------ effects

  /** After the commit: conversation membership, external sends, `alert.updated` to everyone asked. */
  private async apply(fx: Effects): Promise<void> {
    for (const m of fx.members) {
      await this.d.messaging
        .addMembers(m.conversationId, m.userIds, m.authorId)
        .catch((err: unknown) =>
          this.d.log.warn({ err }, 'escalation target not added to conversation'),
        );
    }
    for (const id of fx.escalationIds) {
      const fresh = fx.started?.get(id);
      if (fresh) {
        if (fresh.to.length)
          this.d.messaging.notify(
            fresh.to,
            'alert.updated',
            await this.viewOf(fresh.row, fresh.timeline),
          );
      } else await this.publish(id);
    }
    for (const x of fx.external) this.outbox.sendOwn(x);
  }

  private async publish(id: string): Promise<void> {
    const view = await this.view(id);
    const to = (await this.d.db.manager.findBy(TargetEntity, { escalationId: id })).map(
      (r) => r.userId,
    );
    if (to.length) this.d.messaging.notify(to, 'alert.updated', view);
  }

  /**
   * One external send (a claimed outbox row): a short code and a link to each
   * of its people, retries being the channel's. Nothing is sent once the
   * escalation is no longer open (`external_skipped`). The outcome lines and
   * the row's mark commit together, and only while this node still holds the
   * row: a send repeated after a crash still writes one outcome.
   */
  private async sendExternal({ row: x, stored }: ClaimedSend): Promise<void> {
    const escalation = await this.d.db.manager.findOneBy(EscalationEntity, { id: x.escalationId });
    const line = { step: x.step, stepType: 'external', channel: x.channel } as const;
    if (!escalation || !stored) {
      this.d.log.error(
        { outboxId: x.id, escalationId: x.escalationId },
        'escalation external send unreadable: not sent',
      );
      await this.concludeSend(
        x,
        'failed',
        escalation
          ? async (tx, row) => {
              await this.timeline(tx, row.id, {
                at: iso(this.d.clock.now()),
                type: 'external_failed',
                step: x.step,
                stepType: 'external',
                targets: [],
                note: 'stored send unreadable',
              });
              await this.audit(
                tx,
                row,
                'escalation.external',
                { step: x.step, ok: false },
                'failure',
              );
            }
          : null,
      );
      return;
    }
    const profiles = await this.d.people.profiles(stored.userIds);
    const people = stored.userIds.map((id) => ({ id, fullName: profiles.get(id)?.fullName ?? '' }));
    if (escalation.state !== 'open') {
      await this.concludeSend(x, 'skipped', (tx, row) =>
        this.record(tx, row, {
          at: iso(this.d.clock.now()),
          type: 'external_skipped',
          ...line,
          targets: people,
          note: `alert ${row.state}`,
        }),
      );
      return;
    }
    const code = `K-${x.escalationId.slice(0, 6).toUpperCase()}`;
    const link = this.d.link(x.escalationId);
    const outcomes: { person: AlertPerson; ok: boolean; note?: string }[] = [];
    for (const person of people) {
      const p = profiles.get(person.id);
      const address = stored.channel === 'email' ? p?.email : p?.phone;
      if (x.attempts > OUTBOX_MAX_ATTEMPTS) {
        // A send that keeps being interrupted (a hub dying each time) is given up.
        outcomes.push({ person, ok: false, note: `interrupted ${x.attempts - 1} times` });
        continue;
      }
      if (!this.d.channels.enabled(stored.channel)) {
        outcomes.push({ person, ok: false, note: 'channel not configured' });
        continue;
      }
      if (!address) {
        outcomes.push({ person, ok: false, note: 'no address' });
        continue;
      }
      const r =
        stored.channel === 'email'
          ? await this.d.channels.sendEmail({ staffId: person.id, to: address, code, link })
          : await this.d.channels.sendSms({ staffId: person.id, phone: address, code, link });
      outcomes.push(r.ok ? { person, ok: true } : { person, ok: false, note: r.reason });
    }
    const state = outcomes.every((o) => o.ok) ? 'sent' : 'failed';
    await this.concludeSend(x, state, async (tx, row) => {
      for (const o of outcomes) {
        await this.timeline(tx, row.id, {
          at: iso(this.d.clock.now()),
          type: o.ok ? 'external_sent' : 'external_failed',
          ...line,
          targets: [o.person],
          ...(o.note ? { note: o.note } : {}),
        });
        await this.audit(
          tx,
          row,
          'escalation.external',
          {
            step: x.step,
            channel: x.channel,
            userId: o.person.id,
            ok: o.ok,
            ...(x.attempts > 1 ? { attempt: x.attempts } : {}),
            ...(o.note ? { reason: o.note } : {}),
          },
          o.ok ? 'success' : 'failure',
        );
      }
    });
  }

  /**
   * Marks a send's outbox row with its outcome and, in the same transaction,
   * writes its lines (`write`, when there is an escalation to write them on);
   * nothing is written when the row is no longer this node's (another node
   * took it over after this one's claim ran out: its outcome counts).
   */
  private async concludeSend(
    x: OutboxRow,
    state: 'sent' | 'failed' | 'skipped',
    write: ((tx: EntityManager, row: EscalationRow) => Promise<unknown>) | null,
  ): Promise<void> {
    const done = await this.d.db.transaction(async (tx) => {
      if (!(await this.outbox.finish(tx, x.id, state))) return false;
      if (!write) return false;
      await write(tx, await this.lockAny(tx, x.escalationId));
      return true;
    });
    if (done) await this.publish(x.escalationId);
  }

  // ------------------------------------------------------------------ targets

  private async names(ids: readonly string[]): Promise<Map<string, string>> {
    const p = await this.d.people.profiles(ids);
    return new Map([...p].map(([id, v]) => [id, v.fullName]));
  }

  /** The original targets again; a role's are resolved anew (whoever is on call now). */
  private async refresh(g: Group, now: Date): Promise<Group> {
    if (!g.roleId) return g;
    const people = await this.d.roles.resolve(g.roleId, now).catch(() => null);
    return people && people.length ? { people, roleId: g.roleId } : g;
  }

  private async resolveTarget(t: EscalationTarget, now: Date): Promise<Group> {
    if (t.kind === 'user') {
      const names = await this.names([t.id]);
      return { people: [{ id: t.id, fullName: names.get(t.id) ?? '' }], roleId: null };
    }
    const people = await this.d.roles.resolve(t.id, now).catch(() => []);
    return { people, roleId: t.id };
  }

  private async resolveFailSafe(
    f: FailSafe,
    unitId: string | null,
    now: Date,
  ): Promise<Group & { label: string }> {
    if (f.kind !== 'builtin') {
      const g = await this.resolveTarget(f, now);
      const label =
        f.kind === 'role'
          ? ((await this.d.roles.describe(f.id))?.name ?? 'duty role')
          : (g.people[0]?.fullName ?? 'person');
      return { ...g, label };
    }
    const roleId = await this.d.policies.dutyAdminRole(unitId);
    if (roleId) {
      const g = await this.resolveTarget({ kind: 'role', id: roleId }, now);
      if (g.people.length) {
        const name = (await this.d.roles.describe(roleId))?.name ?? 'duty administrator';
        return { ...g, label: name };
      }
    }
    const ids = await this.d.people.administrators();
    const names = await this.names(ids);
    return {
      people: ids.map((id) => ({ id, fullName: names.get(id) ?? '' })),
      roleId: null,
      label: 'administrators',
    };
  }

  // ------------------------------------------------------------------ rows

  /** Locks an open escalation for a change (bumps `version`); null when it is closed or stale. */
  private async lock(
    tx: EntityManager,
    id: string,
    expectVersion?: number,
  ): Promise<EscalationRow | null> {
    const qb = tx
      .createQueryBuilder()
      .update(EscalationEntity)
      .set({ version: () => 'version + 1' })
      .where('id = :id AND state = :state', { id, state: 'open' });
    if (expectVersion !== undefined) qb.andWhere('version = :v', { v: expectVersion });
    const res = await qb.execute();
    if (res.affected !== 1) return null;
    return tx.findOneByOrFail(EscalationEntity, { id });
  }

  /** Locks the row whatever its state, without making pending timers stale. */
  private async lockAny(tx: EntityManager, id: string): Promise<EscalationRow> {
    await tx.update(EscalationEntity, { id }, { updatedAt: iso(this.d.clock.now()) });
    return tx.findOneByOrFail(EscalationEntity, { id });
  }

  private async save(
    tx: EntityManager,
    row: EscalationRow,
    run: RunState,
    touch = true,
  ): Promise<void> {
    await tx.update(
      EscalationEntity,
      { id: row.id },
      {
        run: JSON.stringify(run),
        state: row.state,
        nextAt: touch ? row.nextAt : row.nextAt,
        acknowledged: row.acknowledged,
        updatedAt: iso(this.d.clock.now()),
      },
    );
  }

  /** A timeline line and its audit row (never patient data: ids, types, counts). */
  private async record(
    tx: EntityManager,
    row: EscalationRow,
    entry: AlertTimelineEntry,
    ctx: CallContext = SYSTEM,
  ): Promise<void> {
    await this.timeline(tx, row.id, entry);
    await this.appendAudit(tx, {
      ...ctx,
      action: `escalation.${entry.type}`,
      targetType: 'escalation',
      targetId: row.id,
      details: {
        messageId: row.messageId,
        ...(entry.step !== undefined ? { step: entry.step } : {}),
        ...(entry.stepType ? { stepType: entry.stepType } : {}),
        ...(entry.targets ? { targets: entry.targets.map((t) => t.id) } : {}),
        ...(entry.response ? { response: entry.response } : {}),
      },
    });
  }

  private async audit(
    tx: EntityManager,
    row: EscalationRow,
    action: string,
    details: Record<string, unknown>,
    outcome: 'success' | 'failure' = 'success',
  ): Promise<void> {
    await this.appendAudit(tx, {
      ...SYSTEM,
      action,
      outcome,
      targetType: 'escalation',
      targetId: row.id,
      details: { messageId: row.messageId, ...details },
    });
  }

  /** Appends an audit row now, or at the end of the batch of starts `tx` belongs to. */
  private async appendAudit(tx: EntityManager, entry: AuditEntry): Promise<void> {
    const batch = this.startBatches.get(tx);
    if (batch) batch.audits.push(entry);
    else await this.d.audit.append(tx, entry);
  }

  private async timeline(tx: EntityManager, escalationId: string, entry: AlertTimelineEntry) {
    const batch = this.startBatches.get(tx);
    const last = batch?.seqs.get(escalationId);
    if (batch && last !== undefined) {
      batch.seqs.set(escalationId, last + 1);
      const list = batch.entries.get(escalationId) ?? [];
      list.push(entry);
      batch.entries.set(escalationId, list);
      batch.timeline.push({
        id: randomUUID(),
        escalationId,
        seq: last + 1,
        at: entry.at,
        type: entry.type,
        entry: JSON.stringify(entry),
      });
      return;
    }
    const max = await tx
      .createQueryBuilder(TimelineEntity, 't')
      .select('MAX(t.seq)', 'max')
      .where('t.escalation_id = :id', { id: escalationId })
      .getRawOne<{ max: number | string | null }>();
    const seq = Number(max?.max ?? 0) + 1;
    await tx.insert(TimelineEntity, {
      id: randomUUID(),
      escalationId,
      seq,
      at: entry.at,
      type: entry.type,
      entry: JSON.stringify(entry),
    });
  }

  // ------------------------------------------------------------------ views

  /** Whether the user was ever asked to acknowledge this alert. */
  async wasAsked(id: string, userId: string): Promise<boolean> {
    return (await this.d.db.manager.countBy(TargetEntity, { escalationId: id, userId })) > 0;
  }

  async get(id: string, userId: string, viewAll: boolean): Promise<AlertView> {
    const row = await this.d.db.manager.findOneBy(EscalationEntity, { id });
    if (!row) throw new AppError('alert.not_found');
    if (!viewAll && !(await this.wasAsked(id, userId))) throw new AppError('alert.not_target');
    return this.view(id);
  }

  /** Alerts the caller may see, newest first (at most 500). */
  /**
   * `GET /api/v1/alerts`: newest first, at most 500; people ever asked to
   * acknowledge see theirs, `viewAll` sees all; optionally of one conversation.
   */
  async list(
    userId: string,
    viewAll: boolean,
    state: 'open' | 'acknowledged' | 'all',
    conversationId?: string,
  ): Promise<AlertView[]> {
    const qb = this.d.db.manager
      .createQueryBuilder(EscalationEntity, 'e')
      .select('e.id', 'id')
      .where('1 = 1')
      .orderBy('e.created_at', 'DESC')
      .limit(500);
    if (state !== 'all') qb.andWhere('e.state = :state', { state });
    if (conversationId) qb.andWhere('e.conversation_id = :c', { c: conversationId });
    if (!viewAll)
      qb.innerJoin('escalation_target', 't', 't.escalation_id = e.id AND t.user_id = :u', {
        u: userId,
      });
    const ids = (await qb.getRawMany<{ id: string }>()).map((r) => r.id);
    const out: AlertView[] = [];
    for (const id of ids) out.push(await this.view(id));
    return out;
  }

  async view(id: string): Promise<AlertView> {
    const row = await this.d.db.manager.findOneByOrFail(EscalationEntity, { id });
    const lines = await this.d.db.manager.find(TimelineEntity, {
      where: { escalationId: id },
      order: { seq: 'ASC' },
    });
    return this.viewOf(
      row,
      lines.map((l) => JSON.parse(l.entry) as AlertTimelineEntry),
    );
  }

  /** The view of a row and its timeline entries (in order). */
  private async viewOf(row: EscalationRow, timeline: AlertTimelineEntry[]): Promise<AlertView> {
    const run = JSON.parse(row.run) as RunState;
    const view: AlertView = {
      id: row.id,
      state: row.state as AlertView['state'],
      kind: row.kind as AlertKind,
      priority: row.priority as AlertPriority,
      unitId: row.unitId,
      messageId: row.messageId,
      conversationId: row.conversationId,
      createdAt: row.createdAt,
      policy: { id: row.policyId, name: row.policyName },
      step: { index: run.index, type: run.stepType, nextAt: row.nextAt },
      targets: run.targets.people,
      timeline,
    };
    if (row.acknowledged)
      view.acknowledgedBy = JSON.parse(row.acknowledged) as NonNullable<
        AlertView['acknowledgedBy']
      >;
    if (row.readBack)
      view.readBack = JSON.parse(row.readBack) as NonNullable<AlertView['readBack']>;
    if (row.subject && this.subjects) {
      const about = await this.subjects
        .describe(JSON.parse(row.subject) as AlertSubject)
        .catch(() => null);
      if (about?.patient) view.patient = about.patient;
      if (about?.result) view.result = about.result;
    }
    return view;
  }
}

/** Whether two groups name the same people (in any order). */
function samePeople(a: Group, b: Group): boolean {
  const ids = new Set(a.people.map((p) => p.id));
  return b.people.length === ids.size && b.people.every((p) => ids.has(p.id));
}
