import { createHash, randomUUID } from 'node:crypto';
import { iso, type Clock } from '../../platform/clock.js';
import { BatchRead } from '../../platform/batch-read.js';
import { insertMany } from '../../platform/db/insert-many.js';
import { together } from '../../platform/db/together.js';
import type { Database } from '../../platform/db/database.js';
import type { EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/log/logger.js';
import { In, MoreThanOrEqual } from 'typeorm';
import type { AuditEntry, AuditLog } from '../audit/index.js';
import { LabResultEntity, LabResultPatientEntity, type LabResultRow } from './results.entity.js';
import type {
  IngestOutcome,
  NormalisedResult,
  ResultEvent,
  ResultsReader,
  StoredResult,
} from './results.types.js';

/** Who stored the result, for the audit row. */
export interface IngestContext {
  actorId?: string | null;
  requestId?: string | null;
}

function dedupeKey(r: Pick<NormalisedResult, 'source' | 'sender' | 'controlId'>): string {
  return createHash('sha256')
    .update(`${r.source}\u0000${r.sender}\u0000${r.controlId}`)
    .digest('hex');
}

/** SHA-256 of an identifier, for audit rows (never the value itself). */
function idDigest(system: string, value: string): string {
  return createHash('sha256').update(`${system}|${value}`).digest('hex').slice(0, 16);
}

/** The parts of a result kept as JSON text in its row. */
type JsonParts = Pick<StoredResult, 'ordering' | 'unitHints' | 'observations'> & {
  identifiers: StoredResult['patient']['identifiers'];
  name: StoredResult['patient']['name'];
};

function toStored(row: LabResultRow): StoredResult {
  return storedView(row, {
    identifiers: JSON.parse(row.patientIds) as JsonParts['identifiers'],
    name: JSON.parse(row.patientName) as JsonParts['name'],
    ordering: JSON.parse(row.ordering) as JsonParts['ordering'],
    unitHints: JSON.parse(row.unitHints) as string[],
    observations: JSON.parse(row.observations) as JsonParts['observations'],
  });
}

/** A result's view from its row, with the JSON parts already at hand. */
function storedView(row: LabResultRow, json: JsonParts): StoredResult {
  return {
    id: row.id,
    source: row.source as StoredResult['source'],
    sender: row.sender,
    controlId: row.controlId,
    messageType: row.messageType,
    receivedAt: row.receivedAt,
    patient: { identifiers: json.identifiers, name: json.name, birthDate: row.birthDate },
    ordering: json.ordering,
    unitHints: json.unitHints,
    test: { code: row.testCode, name: row.testName, system: row.testSystem },
    observedAt: row.observedAt,
    observations: json.observations,
    critical: Boolean(row.critical),
    abnormal: Boolean(row.abnormal),
    digest: row.digest,
  };
}

const cut = (s: string, n: number) => (s.length > n ? s.slice(0, n) : s);

/**
 * Stores normalised results once each (the duplicate key is unique), audits
 * them in the same transaction and announces them on the bus after commit.
 */
/** Critical results kept in memory after their commit (about 1 KB each). */
const RECENT_CRITICAL = 4096;

const AHEAD = { ahead: true } as const;

export class ResultsService implements ResultsReader {
  constructor(
    private readonly deps: {
      db: Database;
      audit: AuditLog;
      clock: Clock;
      bus: EventBus;
      log: Logger;
    },
  ) {}

  private queue: Pending[] = [];
  private active = 0;
  private quietWaiters: (() => void)[] = [];

  /**
   * Resolves when no ingest is queued or committing, or after `maxMs`: work
   * that follows results (alerts) yields to the ingest, whose ACKs senders wait for.
   */
  whenQuiet(maxMs: number): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, maxMs);
      const waiters = this.quietWaiters;
      function done() {
        clearTimeout(timer);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  /**
   * Stores one result; resolves only after its commit (a duplicate resolves
   * with the first copy's id). Results arriving while a commit is running are
   * committed together in the next transaction (group commit), each with its
   * own audit row, so the ACK of every one of them still follows its commit.
   */
  ingest(result: NormalisedResult, ctx: IngestContext = {}): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ result, ctx, key: dedupeKey(result), resolve, reject });
      this.drain();
    });
  }

  /**
   * Starts group commits while there is work and room: one at a time on
   * SQLite (its writes are serial anyway), a few on PostgreSQL, where a
   * batch's reads and inserts overlap the previous batch's commit (the audit
   * head lock still orders the audit rows).
   */
  private drain(): void {
    const limit = this.deps.db.kind === 'postgres' ? 3 : 1;
    while (this.active < limit && this.queue.length > 0) {
      const batch = this.queue.splice(0, BATCH);
      this.active++;
      void this.commitWithRetry(batch).finally(() => {
        this.active--;
        this.drain();
        if (this.active === 0 && this.queue.length === 0)
          for (const f of [...this.quietWaiters]) f();
      });
    }
  }

  private async commitWithRetry(batch: Pending[]): Promise<void> {
    try {
      await this.commitBatch(batch);
    } catch {
      // One bad item (or a duplicate racing in a concurrent batch or another hub
      // process) must not fail the others: retry each alone, so each gets its
      // own outcome.
      for (const item of batch) {
        await this.commitBatch([item]).catch(async (err: unknown) => {
          const first = await this.byKey(item.key).catch(() => null);
          if (first)
            item.resolve({ id: first.id, duplicate: true, critical: Boolean(first.critical) });
          else item.reject(err);
        });
      }
    }
  }

  private async commitBatch(batch: Pending[]): Promise<void> {
    const receivedAt = iso(this.deps.clock.now());
    const outcomes = new Map<Pending, IngestOutcome>();
    const fresh: { item: Pending; id: string }[] = [];
    // Earlier copies are looked up before the transaction, so the write lock
    // is not held for the read. Nothing this read misses can slip in: on
    // SQLite no other ingest commit runs meanwhile, and on PostgreSQL a copy
    // committed in between fails this batch on the unique key, and the retry
    // one by one reports it as a duplicate.
    const existing = await this.existing([...new Set(batch.map((b) => b.key))]);
    for (const item of batch) {
      const seen = existing.get(item.key);
      if (seen) {
        outcomes.set(item, { id: seen.id, duplicate: true, critical: seen.critical });
        continue;
      }
      const id = randomUUID();
      existing.set(item.key, { id, critical: item.result.critical });
      outcomes.set(item, { id, duplicate: false, critical: item.result.critical });
      fresh.push({ item, id });
    }
    const rows = fresh.map(({ item, id }) => resultRow(id, item, receivedAt));
    if (fresh.length > 0)
      // Ahead of background writes: the senders wait for this commit's ACKs.
      await this.deps.db.transaction(async (tx) => {
        const links = fresh.flatMap(({ item, id }) =>
          patientKeys(item.result).map((k) => ({ resultId: id, ...k, receivedAt })),
        );
        // The results, their patient keys and audit rows go out together.
        await together(
          tx,
          () => insertMany(tx, LabResultEntity, rows),
          () => insertMany(tx, LabResultPatientEntity, links),
          () =>
            this.deps.audit.appendMany(
              tx,
              fresh.map(({ item, id }) => auditEntry(id, item)),
            ),
        );
      }, AHEAD);
    for (const item of batch) item.resolve(outcomes.get(item)!);
    // Kept from what was just written, not parsed back from its JSON text.
    fresh.forEach(({ item: { result } }, k) => {
      if (result.critical)
        this.remember(
          storedView(rows[k]!, {
            identifiers: result.patient.identifiers,
            name: result.patient.name,
            ordering: result.ordering,
            unitHints: result.unitHints,
            observations: result.observations,
          }),
        );
    });
    for (const { item, id } of fresh) this.announce(id, item.result);
  }

  /**
   * Critical results just stored, kept for those who read them right after
   * the event (alerting opens their alerts at once); results never change.
   */
  private readonly recent = new Map<string, StoredResult>();

  private remember(r: StoredResult): void {
    this.recent.set(r.id, r);
    if (this.recent.size > RECENT_CRITICAL) this.recent.delete(this.recent.keys().next().value!);
  }

  private announce(id: string, r: NormalisedResult): void {
    const event: ResultEvent = {
      resultId: id,
      source: r.source,
      critical: r.critical,
      testCode: r.test.code,
      routing: {
        ordering: r.ordering.filter((o) => o.id).map((o) => ({ id: o.id, system: o.system })),
        patient: r.patient.identifiers.map((i) => ({ system: i.system, value: i.value })),
        units: r.unitHints,
      },
    };
    // Listeners are other modules; a failing one must not undo an acknowledged result.
    try {
      this.deps.bus.emit('results.received', event);
      if (r.critical) this.deps.bus.emit('results.critical_received', event);
    } catch (err) {
      this.deps.log.error({ err, resultId: id }, 'a results listener failed');
    }
  }

  /** Results already stored under these duplicate keys. */
  private async existing(keys: string[]): Promise<Map<string, { id: string; critical: boolean }>> {
    const found = new Map<string, { id: string; critical: boolean }>();
    for (const row of await this.deps.db.manager.find(LabResultEntity, {
      select: { id: true, dedupeKey: true, critical: true },
      where: { dedupeKey: In(keys) },
    }))
      found.set(row.dedupeKey, { id: row.id, critical: Boolean(row.critical) });
    return found;
  }

  private byKey(key: string): Promise<LabResultRow | null> {
    return this.deps.db.manager.findOneBy(LabResultEntity, { dedupeKey: key });
  }

  /** Results by id; concurrent callers (alerts opened together) share one read. */
  private readonly byId = new BatchRead<string, StoredResult>(async (ids) => {
    const rows = await this.deps.db.manager.findBy(LabResultEntity, { id: In(ids) });
    return new Map(rows.map((r) => [r.id, toStored(r)]));
  }, 200);

  /** A stored result (results never change once stored; do not mutate the view). */
  async getResult(id: string): Promise<StoredResult | null> {
    return this.recent.get(id) ?? (await this.byId.get(id)) ?? null;
  }

  async criticalSince(
    since: string | null,
    limit: number,
  ): Promise<{ id: string; receivedAt: string }[]> {
    const rows = await this.deps.db.manager.find(LabResultEntity, {
      select: { id: true, receivedAt: true },
      where:
        since === null
          ? { critical: true }
          : { critical: true, receivedAt: MoreThanOrEqual(since) },
      order: { receivedAt: 'ASC', id: 'ASC' },
      take: Math.min(Math.max(limit, 1), 1000),
    });
    return rows.map((r) => ({ id: r.id, receivedAt: r.receivedAt }));
  }

  async listPatientResults(
    identifier: { system?: string; value: string },
    limit = 100,
  ): Promise<StoredResult[]> {
    const links = await this.deps.db.manager.find(LabResultPatientEntity, {
      where:
        identifier.system === undefined
          ? { value: identifier.value }
          : { value: identifier.value, system: identifier.system },
      order: { receivedAt: 'DESC' },
      take: Math.min(Math.max(limit, 1), 500),
    });
    const ids = [...new Set(links.map((l) => l.resultId))];
    const results: StoredResult[] = [];
    for (const id of ids) {
      const r = await this.getResult(id);
      if (r) results.push(r);
    }
    return results.sort((a, b) => (a.receivedAt < b.receivedAt ? 1 : -1));
  }
}

/** Results committed together at most. */
const BATCH = 200;

interface Pending {
  result: NormalisedResult;
  ctx: IngestContext;
  key: string;
  resolve: (o: IngestOutcome) => void;
  reject: (err: unknown) => void;
}

/** The identifiers of a result, cut to the column sizes and without repeats. */
function patientKeys(result: NormalisedResult): { system: string; value: string }[] {
  const ids = result.patient.identifiers.map((i) => ({
    system: cut(i.system, 200),
    value: cut(i.value, 200),
  }));
  return ids.filter(
    (i, n) => ids.findIndex((j) => j.system === i.system && j.value === i.value) === n,
  );
}

function resultRow(id: string, { result, key }: Pending, receivedAt: string): LabResultRow {
  return {
    id,
    source: result.source,
    sender: cut(result.sender, 400),
    controlId: cut(result.controlId, 200),
    dedupeKey: key,
    receivedAt,
    messageType: cut(result.messageType, 20),
    patientIds: JSON.stringify(result.patient.identifiers),
    patientName: JSON.stringify(result.patient.name),
    birthDate: result.patient.birthDate,
    ordering: JSON.stringify(result.ordering),
    unitHints: JSON.stringify(result.unitHints),
    testCode: cut(result.test.code, 100),
    testName: cut(result.test.name, 255),
    testSystem: cut(result.test.system, 200),
    observedAt: result.observedAt ? cut(result.observedAt, 30) : null,
    observations: JSON.stringify(result.observations),
    critical: result.critical,
    abnormal: result.abnormal,
    digest: result.digest,
  };
}

/** The audit row of a stored result: codes, counts and digests, never names or identifiers. */
function auditEntry(id: string, { result, ctx }: Pending): AuditEntry {
  return {
    action: 'results.received',
    actorId: ctx.actorId ?? null,
    requestId: ctx.requestId ?? null,
    targetType: 'lab_result',
    targetId: id,
    details: {
      source: result.source,
      controlId: cut(result.controlId, 200),
      critical: result.critical,
      test: cut(result.test.code, 100),
      observations: result.observations.length,
      flags: [...new Set(result.observations.flatMap((o) => o.flags))].slice(0, 20),
      patient: patientKeys(result).map((i) => idDigest(i.system, i.value)),
      digest: result.digest,
    },
  };
}
