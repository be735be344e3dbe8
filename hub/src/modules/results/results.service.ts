import { createHash, randomUUID } from 'node:crypto';
import { iso, type Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/log/logger.js';
import type { AuditLog } from '../audit/index.js';
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

function toStored(row: LabResultRow): StoredResult {
  return {
    id: row.id,
    source: row.source as StoredResult['source'],
    sender: row.sender,
    controlId: row.controlId,
    messageType: row.messageType,
    receivedAt: row.receivedAt,
    patient: {
      identifiers: JSON.parse(row.patientIds) as StoredResult['patient']['identifiers'],
      name: JSON.parse(row.patientName) as StoredResult['patient']['name'],
      birthDate: row.birthDate,
    },
    ordering: JSON.parse(row.ordering) as StoredResult['ordering'],
    unitHints: JSON.parse(row.unitHints) as string[],
    test: { code: row.testCode, name: row.testName, system: row.testSystem },
    observedAt: row.observedAt,
    observations: JSON.parse(row.observations) as StoredResult['observations'],
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

  /** Resolves only after the commit; a duplicate resolves with the first copy's id. */
  async ingest(result: NormalisedResult, ctx: IngestContext = {}): Promise<IngestOutcome> {
    const key = dedupeKey(result);
    const existing = await this.byKey(key);
    if (existing) return { id: existing.id, duplicate: true, critical: Boolean(existing.critical) };
    const id = randomUUID();
    const receivedAt = iso(this.deps.clock.now());
    const ids = result.patient.identifiers.map((i) => ({
      system: cut(i.system, 200),
      value: cut(i.value, 200),
    }));
    const unique = ids.filter(
      (i, n) => ids.findIndex((j) => j.system === i.system && j.value === i.value) === n,
    );
    try {
      await this.deps.db.transaction(async (tx) => {
        if (await tx.findOneBy(LabResultEntity, { dedupeKey: key })) throw new DuplicateResult();
        await tx.insert(LabResultEntity, {
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
        });
        await tx.insert(
          LabResultPatientEntity,
          unique.map((i) => ({ resultId: id, ...i, receivedAt })),
        );
        await this.deps.audit.append(tx, {
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
            patient: unique.map((i) => idDigest(i.system, i.value)),
            digest: result.digest,
          },
        });
      });
    } catch (err) {
      // A concurrent copy won the race (unique key): this one is the duplicate.
      const first = await this.byKey(key);
      if (first) return { id: first.id, duplicate: true, critical: Boolean(first.critical) };
      throw err;
    }
    this.announce(id, result);
    return { id, duplicate: false, critical: result.critical };
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

  private byKey(key: string): Promise<LabResultRow | null> {
    return this.deps.db.manager.findOneBy(LabResultEntity, { dedupeKey: key });
  }

  async getResult(id: string): Promise<StoredResult | null> {
    const row = await this.deps.db.manager.findOneBy(LabResultEntity, { id });
    return row ? toStored(row) : null;
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

class DuplicateResult extends Error {}
