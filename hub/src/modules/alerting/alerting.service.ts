import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import { isAppError, type LabResultView } from '@konsilium/shared';
import { iso, type Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import { insertMany } from '../../platform/db/insert-many.js';
import { together } from '../../platform/db/together.js';
import type { Actor, RequestMeta } from '../../platform/http/actor.js';
import type { Logger } from '../../platform/log/logger.js';
import { BatchRead } from '../../platform/batch-read.js';
import { SharedRead } from '../../platform/shared-read.js';
import type { AuditEntry, AuditLog } from '../audit/index.js';
import { ResultAlertEntity, type ResultAlertRow } from './alerting.entity.js';
import type {
  AlertingEscalation,
  AlertingMessaging,
  AlertingPeople,
  AlertingResults,
  AlertingRosters,
} from './alerting.ports.js';
import { routeResult, type RoutingDecision } from './alerting.routing.js';
import {
  alertText,
  conversationIdFor,
  headObservation,
  messageIdFor,
  patientBinding,
} from './alerting.text.js';

/** The staff id of the laboratory's system sender (created by migration 1765100000000). */
export const LAB_SENDER_ID = '0d1ab5e7-0000-4000-8000-000000000001';
export const LAB_SENDER_LOGIN = 'system.laboratory';

/** How the hub acts as the laboratory: the system staff record, no session, no permissions. */
const LAB_ACTOR: Actor = {
  userId: LAB_SENDER_ID,
  sessionId: 'system',
  deviceId: 'system',
  roles: [],
  permissions: new Set(),
};

/**
 * Alerts opened together at most (a wave). Every write stage of an alert is a
 * group commit, so a bigger wave means bigger batches, not more transactions;
 * on PostgreSQL smaller, to leave the pool (10) to ingest and messaging.
 */
const WAVE = { sqlite: 512, postgres: 128 } as const;
/** The start-up sweep looks this far behind the newest result that has an alert row. */
const SWEEP_MARGIN_MS = 60 * 60 * 1000;
/** Pending alerts (routing or sending failed) are retried this often. */
const RETRY_MS = 30_000;
/** At most this long a wave of alerts gathers while results are still arriving. */
const GATHER_MS = 250;

export interface ResultAlertsDeps {
  db: Database;
  audit: AuditLog;
  clock: Clock;
  log: Logger;
  results: AlertingResults;
  people: AlertingPeople;
  rosters: AlertingRosters;
  messaging: AlertingMessaging;
  escalation: AlertingEscalation;
}

/**
 * Turns critical results into alerts (CTX-5, ADR 0022): routes each one,
 * sends the laboratory's critical order into a conversation bound to the
 * patient and starts its escalation. Exactly one alert per result: the
 * `result_alert` row is keyed by the result, the conversation by a key
 * derived from it, the message id is derived from it and escalation starts
 * once per message. A result committed but not alerted (the hub died in
 * between, or routing failed) is found by the sweep at start and retried.
 */
export class ResultAlerts {
  private readonly queued = new Set<string>();
  /** Queued from the live event: nothing to read about an earlier attempt. */
  private readonly fresh = new Set<string>();
  /** Results whose alert is being opened (results never change once stored). */
  private readonly opening = new Map<string, LabResultView>();
  private readonly queue: string[] = [];
  private active = 0;
  private waiters: (() => void)[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly d: ResultAlertsDeps) {}

  /**
   * Called for `results.critical_received` (after the result's commit, `fresh`:
   * no alert row can exist yet) and by the sweep and the retry tick.
   */
  enqueue(resultId: string, fresh = false): void {
    if (this.stopped || this.queued.has(resultId)) return;
    this.queued.add(resultId);
    if (fresh) this.fresh.add(resultId);
    this.queue.push(resultId);
    this.pump();
  }

  /**
   * Works in waves: a wave takes everything queued (up to the wave size) and
   * opens those alerts together, in one transaction. While results are still
   * arriving a wave gathers for up to {@link GATHER_MS} first (their senders
   * wait for the ACKs of those commits, which go first; bigger waves cost less
   * per alert); a result arriving alone opens at once.
   */
  private pump(): void {
    if (this.active > 0 || this.gathering || this.queue.length === 0) return;
    if (this.queue.length >= WAVE[this.d.db.kind]) return this.startWave();
    this.gathering = true;
    void this.d.results.whenQuiet(GATHER_MS).then(() => {
      this.gathering = false;
      if (this.active === 0 && this.queue.length > 0) this.startWave();
    });
  }

  private gathering = false;

  private startWave(): void {
    const wave = this.queue.splice(0, WAVE[this.d.db.kind]);
    this.active = wave.length;
    for (const id of wave) {
      void this.process(id)
        .catch((err: unknown) =>
          this.d.log.error({ err: errName(err), resultId: id }, 'result alert failed'),
        )
        .finally(() => {
          this.queued.delete(id);
          if (--this.active > 0) return;
          this.pump();
          if (this.active === 0 && this.queue.length === 0) {
            const w = this.waiters;
            this.waiters = [];
            for (const f of w) f();
          }
        });
    }
  }

  /** Resolves when nothing is queued or in progress (tests, shutdown). */
  idle(): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Starts the sweep (in the background) and the retry tick. */
  start(): void {
    this.stopped = false;
    this.sweeping = this.sweep().then(
      () => undefined,
      (err: unknown) => {
        this.d.log.error({ err: errName(err) }, 'result alert sweep failed');
      },
    );
    this.retryTimer = setInterval(() => void this.retryPending(), RETRY_MS);
    this.retryTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.retryTimer = null;
    this.queue.length = 0;
    this.fresh.clear();
    await this.sweeping;
    await this.idle();
  }

  /**
   * Finds critical results without an opened alert: every pending row, and
   * every critical result received since shortly before the newest alert row
   * that has no row at all (committed, then the hub died before the event was
   * handled). Returns once they are all queued; `idle()` waits for the work.
   */
  async sweep(): Promise<number> {
    const m = this.d.db.manager;
    let found = 0;
    const pending = await m.find(ResultAlertEntity, {
      select: { resultId: true },
      where: { state: 'pending' },
    });
    for (const p of pending) {
      this.enqueue(p.resultId);
      found++;
    }
    const newest = await m.find(ResultAlertEntity, {
      select: { receivedAt: true },
      order: { receivedAt: 'DESC' },
      take: 1,
    });
    let since = newest[0]
      ? iso(new Date(Date.parse(newest[0].receivedAt) - SWEEP_MARGIN_MS))
      : null;
    for (;;) {
      const batch = await this.d.results.criticalSince(since, 500);
      if (batch.length === 0) break;
      const known = new Set(
        (
          await m.find(ResultAlertEntity, {
            select: { resultId: true },
            where: { resultId: In(batch.map((b) => b.id)) },
          })
        ).map((r) => r.resultId),
      );
      for (const b of batch)
        if (!known.has(b.id)) {
          this.enqueue(b.id);
          found++;
        }
      if (batch.length < 500) break;
      const last = batch[batch.length - 1]!.receivedAt;
      // Results share a receive time within a group commit: step past it only when it moved.
      since = last === since ? iso(new Date(Date.parse(last) + 1)) : last;
    }
    if (found > 0) this.d.log.info({ count: found }, 'result alerts to open found at start');
    return found;
  }

  private async retryPending(): Promise<void> {
    if (this.stopped) return;
    const rows = await this.d.db.manager
      .find(ResultAlertEntity, { select: { resultId: true }, where: { state: 'pending' } })
      .catch(() => []);
    for (const r of rows) this.enqueue(r.resultId);
  }

  /** Opens the alert of one critical result, or finishes opening it. Idempotent. */
  async process(resultId: string): Promise<void> {
    const fresh = this.fresh.delete(resultId);
    const row = fresh ? undefined : await this.rows.get(resultId);
    if (row?.state === 'opened') return;
    const result = await this.d.results.getResult(resultId);
    if (!result?.critical) return;
    this.opening.set(resultId, result);
    try {
      await this.openOrRecord(result, fresh);
    } finally {
      this.opening.delete(resultId);
    }
  }

  /** The `result_alert` rows of results being processed: alerts worked on together share one read. */
  private readonly rows = new BatchRead<string, ResultAlertRow>(async (ids) => {
    const found = await this.d.db.manager.findBy(ResultAlertEntity, { resultId: In(ids) });
    return new Map(found.map((r) => [r.resultId, r]));
  }, 200);

  /**
   * The unit tree for routing: alerts routed together share reads of it, and
   * none gets a read issued before it asked (a unit just added is seen).
   */
  private readonly unitTree = new SharedRead(() => this.d.people.units());

  /**
   * A result whose alert this process is opening right now, so describing
   * the escalation's subject while it starts reads nothing again.
   */
  inFlight(resultId: string): LabResultView | undefined {
    return this.opening.get(resultId);
  }

  private async openOrRecord(result: LabResultView, fresh: boolean): Promise<void> {
    const resultId = result.id;
    const meta: RequestMeta = { requestId: randomUUID(), ip: 'internal', userAgent: null };
    try {
      const decision = await routeResult(result, this.d.clock.now(), {
        people: {
          byExternalId: (system, value) => this.d.people.byExternalId(system, value),
          units: () => this.unitTree.get(),
          names: (ids) => this.d.people.names(ids),
        },
        rosters: this.d.rosters,
        escalation: this.d.escalation,
      });
      if (decision.targets.length === 0) throw new NoTargets();
      // A result just stored has nothing from an earlier attempt: its alert
      // opens with the others of its wave in one transaction, or else (and
      // for retries) stage by stage.
      if (!fresh || !(await this.openTogether({ result, decision, meta })))
        await this.open(result, decision, meta);
    } catch (err) {
      const code = errName(err);
      await this.recordFailure(result, code, meta).catch(() => undefined);
      this.d.log.warn({ resultId, err: code }, 'result alert not opened yet, will retry');
    }
  }

  /**
   * Conversation, message and escalation (each idempotent: the conversation is
   * keyed by the result, the message id derives from it, escalation starts
   * once per message), then the row, the routing decision and the opening are
   * recorded together, group-committed with other alerts finishing meanwhile.
   * A retry after a failure routes again; what already exists is found again.
   */
  private async open(
    result: LabResultView,
    decision: RoutingDecision,
    meta: RequestMeta,
  ): Promise<void> {
    const messageId = messageIdFor(result.id);
    const title = titleOf(result);
    const patient = patientBinding(result);
    const conversation = await this.d.messaging.openConversation(
      LAB_ACTOR,
      {
        key: `result:${result.id}`,
        title,
        memberIds: decision.targets,
        ...(decision.unitId ? { unitId: decision.unitId } : {}),
        ...(patient ? { patient } : {}),
      },
      meta,
    );
    this.d.escalation.ignoreMessage(messageId);
    await this.d.messaging.send(
      LAB_ACTOR,
      conversation.id,
      { id: messageId, text: alertText(result), priority: 'critical', kind: 'order' },
      meta,
    );
    const { alertId } = await this.d.escalation.startForMessage({
      messageId,
      conversationId: conversation.id,
      unitId: decision.unitId,
      priority: 'critical',
      kind: 'critical_result',
      targets: decision.targets,
      ...(decision.roleId ? { roleId: decision.roleId } : {}),
      subject: { type: 'lab_result', id: result.id },
    });
    await this.finish({
      result,
      decision,
      conversationId: conversation.id,
      alertId,
      messageId,
      meta,
    });
    this.logOpened({ result, decision, meta }, alertId);
  }

  private together: { item: Routed; resolve: (opened: boolean) => void }[] = [];
  private togetherRunning = false;

  /**
   * Opens the alert in one transaction with the others routed meanwhile:
   * conversations, laboratory messages, escalations (prepared in memory),
   * `result_alert` rows, the first `alert.updated` events and every audit row
   * commit together. False when it could not (the caller opens it stage by
   * stage, which finds whatever exists).
   */
  private openTogether(item: Routed): Promise<boolean> {
    return new Promise((resolve) => {
      this.together.push({ item, resolve });
      if (!this.togetherRunning) {
        this.togetherRunning = true;
        setImmediate(() => void this.flushTogether());
      }
    });
  }

  private async flushTogether(): Promise<void> {
    try {
      while (this.together.length > 0) {
        const batch = this.together.splice(0, WAVE[this.d.db.kind]);
        let opened = new Map<string, string>();
        try {
          opened = await this.writeTogether(batch.map((b) => b.item));
        } catch (err) {
          this.d.log.debug({ err: errName(err), size: batch.length }, 'alerts opened one by one');
        }
        for (const b of batch) {
          const alertId = opened.get(b.item.result.id);
          if (alertId) this.logOpened(b.item, alertId);
          b.resolve(!!alertId);
        }
      }
    } finally {
      this.togetherRunning = false;
    }
  }

  /** The alert ids of the results whose alerts were opened, by result id. */
  private async writeTogether(items: Routed[]): Promise<Map<string, string>> {
    const ids = new Map(
      items.map((i) => [
        i.result.id,
        { messageId: messageIdFor(i.result.id), conversationId: conversationIdFor(i.result.id) },
      ]),
    );
    for (const { messageId } of ids.values()) this.d.escalation.ignoreMessage(messageId);
    const prepared = await this.d.escalation.prepareStarts(
      items.map((i) => ({
        ...ids.get(i.result.id)!,
        unitId: i.decision.unitId,
        priority: 'critical' as const,
        kind: 'critical_result' as const,
        targets: i.decision.targets,
        ...(i.decision.roleId ? { roleId: i.decision.roleId } : {}),
        subject: { type: 'lab_result' as const, id: i.result.id },
      })),
    );
    const ready = items.filter((i) => prepared.alertIds.has(ids.get(i.result.id)!.messageId));
    if (ready.length === 0) return new Map();
    const batchMeta: RequestMeta = { requestId: randomUUID(), ip: 'internal', userAgent: null };
    let opened: string[];
    try {
      ({ opened } = await this.d.messaging.openMany(
        LAB_ACTOR,
        ready.map((i) => {
          const patient = patientBinding(i.result);
          return {
            key: `result:${i.result.id}`,
            conversationId: ids.get(i.result.id)!.conversationId,
            title: titleOf(i.result),
            memberIds: i.decision.targets,
            ...(i.decision.unitId ? { unitId: i.decision.unitId } : {}),
            ...(patient ? { patient } : {}),
            message: {
              id: ids.get(i.result.id)!.messageId,
              text: alertText(i.result),
              priority: 'critical' as const,
              kind: 'order' as const,
            },
            meta: i.meta,
          };
        }),
        batchMeta,
        async (w) => {
          // All or nothing: one not opened here is opened stage by stage.
          if (w.opened.length !== ready.length) throw new NotAllOpened();
          const now = iso(this.d.clock.now());
          const records = ready.map((i) =>
            this.records(
              {
                ...i,
                ...ids.get(i.result.id)!,
                alertId: prepared.alertIds.get(ids.get(i.result.id)!.messageId)!,
              },
              now,
            ),
          );
          await together(
            w.tx,
            () =>
              prepared.write(w.tx, (entries) => {
                for (const e of entries) w.audit(e);
              }),
            () =>
              insertMany(
                w.tx,
                ResultAlertEntity,
                records.map((r) => r.row),
              ),
          );
          for (const r of records) for (const e of r.audits) w.audit(e);
          for (const e of prepared.events) w.toUser(e.userId, 'alert.updated', e.view);
          w.afterCommit(() => prepared.committed());
        },
      ));
    } catch (err) {
      prepared.discard();
      throw err;
    }
    if (opened.length < ready.length) prepared.discard();
    const keys = new Set(opened);
    const out = new Map<string, string>();
    for (const i of ready)
      if (keys.has(`result:${i.result.id}`))
        out.set(i.result.id, prepared.alertIds.get(ids.get(i.result.id)!.messageId)!);
    return out;
  }

  private logOpened(i: Routed, alertId: string): void {
    this.d.log.info(
      { resultId: i.result.id, alertId, rule: i.decision.rule, targets: i.decision.targets.length },
      'critical result alert opened',
    );
  }

  private finals: { item: Final; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private flushing = false;

  /** Records an opened alert; resolves after the commit of its group. */
  private finish(item: Final): Promise<void> {
    return new Promise((resolve, reject) => {
      this.finals.push({ item, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.finals.length > 0) {
        const batch = this.finals.splice(0, 100);
        try {
          await this.commitFinals(batch.map((b) => b.item));
          for (const b of batch) b.resolve();
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** The `result_alert` row of an opened alert and its two audit rows (routing, opening). */
  private records(i: Final, now: string): { row: ResultAlertRow; audits: AuditEntry[] } {
    const row: ResultAlertRow = {
      resultId: i.result.id,
      receivedAt: i.result.receivedAt,
      messageId: i.messageId,
      attempts: 0,
      createdAt: now,
      state: 'opened',
      rule: i.decision.rule,
      unitId: i.decision.unitId,
      roleId: i.decision.roleId,
      targets: JSON.stringify(i.decision.targets),
      conversationId: i.conversationId,
      alertId: i.alertId,
      openedAt: now,
      lastError: null,
    };
    const base = {
      actorId: LAB_SENDER_ID,
      requestId: i.meta.requestId,
      targetType: 'lab_result',
      targetId: i.result.id,
    };
    const audits: AuditEntry[] = [
      {
        ...base,
        action: 'results.alert_routed',
        details: {
          rule: i.decision.rule,
          targets: i.decision.targets.length,
          orderingNamed: i.decision.ordering.named,
          orderingMatched: i.decision.ordering.matched,
          ...(i.decision.unitId ? { unitId: i.decision.unitId } : {}),
          ...(i.decision.roleId ? { roleId: i.decision.roleId } : {}),
        },
      },
      {
        ...base,
        action: 'results.alert_opened',
        details: {
          alertId: i.alertId,
          messageId: i.messageId,
          conversationId: i.conversationId,
          rule: i.decision.rule,
        },
      },
    ];
    return { row, audits };
  }

  private async commitFinals(items: Final[]): Promise<void> {
    await this.d.db.transaction(async (tx) => {
      const now = iso(this.d.clock.now());
      const existing = new Map(
        (
          await tx.find(ResultAlertEntity, {
            where: { resultId: In(items.map((i) => i.result.id)) },
          })
        ).map((r) => [r.resultId, r]),
      );
      const entries: AuditEntry[] = [];
      const fresh: ResultAlertRow[] = [];
      for (const i of items) {
        const before = existing.get(i.result.id);
        if (before?.state === 'opened') continue;
        const { row, audits } = this.records(i, now);
        if (before) {
          const {
            resultId: _id,
            receivedAt: _at,
            messageId: _m,
            attempts: _n,
            createdAt: _c,
            ...fields
          } = row;
          await tx.update(ResultAlertEntity, { resultId: i.result.id }, fields);
        } else fresh.push(row);
        entries.push(...audits);
      }
      await together(
        tx,
        () => insertMany(tx, ResultAlertEntity, fresh),
        () => this.d.audit.appendMany(tx, entries),
      );
    });
  }

  /**
   * Keeps (or creates) the pending row with the failure's code, so the retry
   * tick finds it; the first failure is audited (code only).
   */
  private async recordFailure(
    result: LabResultView,
    code: string,
    meta: RequestMeta,
  ): Promise<void> {
    await this.d.db.transaction(async (tx) => {
      const current = await tx.findOneBy(ResultAlertEntity, { resultId: result.id });
      if (current?.state === 'opened') return;
      if (current) {
        await tx.update(
          ResultAlertEntity,
          { resultId: result.id },
          { attempts: current.attempts + 1, lastError: code.slice(0, 200) },
        );
        return;
      }
      await tx.insert(ResultAlertEntity, {
        resultId: result.id,
        state: 'pending',
        receivedAt: result.receivedAt,
        rule: null,
        unitId: null,
        roleId: null,
        targets: null,
        conversationId: null,
        messageId: messageIdFor(result.id),
        alertId: null,
        attempts: 1,
        lastError: code.slice(0, 200),
        createdAt: iso(this.d.clock.now()),
        openedAt: null,
      });
      await this.d.audit.append(tx, {
        action: 'results.alert_failed',
        outcome: 'failure',
        actorId: LAB_SENDER_ID,
        requestId: meta.requestId,
        targetType: 'lab_result',
        targetId: result.id,
        details: { error: code.slice(0, 100) },
      });
    });
  }

  /** The alert of a result with its read-back, for `GET /api/v1/results/{id}/alert`. */
  async view(resultId: string): Promise<ResultAlertView | null> {
    const row = await this.d.db.manager.findOneBy(ResultAlertEntity, { resultId });
    if (!row) return null;
    const status = row.alertId ? await this.d.escalation.alertStatus(row.alertId) : null;
    const targets = row.targets ? (JSON.parse(row.targets) as string[]) : [];
    const names = await this.d.people.names(targets);
    return {
      resultId: row.resultId,
      state: row.state,
      rule: row.rule,
      unitId: row.unitId,
      roleId: row.roleId,
      targets: targets.map((id) => ({ id, fullName: names.get(id) ?? '' })),
      alertId: row.alertId,
      alertState: status?.state ?? null,
      messageId: row.messageId,
      conversationId: row.conversationId,
      openedAt: row.openedAt,
      acknowledgedBy: status?.acknowledgedBy ?? null,
      readBack: status?.readBack ?? null,
    };
  }
}

/** Read-back of a critical result: the value the clinician confirmed and the action taken. */
export interface ResultAlertReadBack {
  value: string;
  action: string;
  at: string;
  by: { id: string; fullName: string };
}

/** Body of `GET /api/v1/results/{id}/alert` (docs/protocol.md). */
export interface ResultAlertView {
  resultId: string;
  state: 'pending' | 'opened';
  rule: string | null;
  unitId: string | null;
  roleId: string | null;
  targets: { id: string; fullName: string }[];
  alertId: string | null;
  alertState: 'open' | 'acknowledged' | 'cancelled' | null;
  messageId: string;
  conversationId: string | null;
  openedAt: string | null;
  acknowledgedBy: { id: string; fullName: string; response: string; at: string } | null;
  readBack: ResultAlertReadBack | null;
}

/** A result routed, its alert to open. */
interface Routed {
  result: LabResultView;
  decision: RoutingDecision;
  meta: RequestMeta;
}

/** An opened alert waiting for its group commit. */
interface Final {
  result: LabResultView;
  decision: RoutingDecision;
  conversationId: string;
  alertId: string;
  messageId: string;
  meta: RequestMeta;
}

/** Some alert of a batch could not be opened with the others: the batch is rolled back. */
class NotAllOpened extends Error {
  override name = 'NotAllOpened';
}

class NoTargets extends Error {
  override name = 'NoTargets';
}

/** An error's code or class, never its message (which might quote data). */
function errName(err: unknown): string {
  if (isAppError(err)) return err.code;
  if (err instanceof Error) return err.name;
  return 'unknown';
}

/** The alert conversation's title: the critical test. */
function titleOf(result: LabResultView): string {
  const head = headObservation(result);
  return `Критический результат: ${head?.name || head?.code || result.test.code}`.slice(0, 200);
}
