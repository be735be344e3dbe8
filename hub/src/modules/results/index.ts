import type { AddressInfo } from 'node:net';
import type { HubConfig } from '../../config/index.js';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/log/logger.js';
import type { HubModule } from '../../platform/module.js';
import type { AuditLog } from '../audit/index.js';
import { MllpListener } from './results.mllp.js';
import { resultsRoutes } from './results.routes.js';
import { ResultsService } from './results.service.js';
import type { ResultsReader } from './results.types.js';

export { RESULTS_ENTITIES } from './results.entity.js';
export { MllpDecoder, mllpFrame } from './results.mllp.js';
export type {
  ClinicianRef,
  LabObservation,
  PatientIdentifier,
  ResultEvent,
  ResultRoutingHints,
  ResultsReader,
  StoredResult,
} from './results.types.js';

export interface ResultsDeps {
  db: Database;
  audit: AuditLog;
  clock: Clock;
  bus: EventBus;
  config: HubConfig;
  log: Logger;
}

/**
 * Builds the results module (CTX-5, ADR 0018): the HL7 v2 MLLP listener (when
 * `mllpPort` is set), the FHIR ingest endpoints, the patient's result feed and
 * the {@link ResultsReader} port. Results are announced on the bus after commit.
 */
export function createResults(deps: ResultsDeps): {
  module: HubModule;
  reader: ResultsReader;
  /** The MLLP listener's bound address, null when it is off. */
  mllpAddress(): AddressInfo | null;
} {
  const log = deps.log.child({ module: 'results' });
  const criticalFlags = new Set(deps.config.mllpCriticalFlags.map((f) => f.toUpperCase()));
  const results = new ResultsService({ ...deps, log });
  const mllp =
    deps.config.mllpPort === undefined
      ? null
      : new MllpListener(
          {
            port: deps.config.mllpPort,
            host: deps.config.mllpHost ?? deps.config.host,
            maxFrameBytes: deps.config.mllpMaxFrameBytes,
            idleMs: deps.config.mllpIdleSeconds * 1000,
            fallbackCharset: deps.config.mllpFallbackCharset,
            criticalFlags,
          },
          { results, clock: deps.clock, log },
        );
  return {
    module: {
      name: 'results',
      routes: resultsRoutes({
        results,
        maxJsonBytes: deps.config.maxJsonBytes,
        criticalFlags,
        log,
      }),
      async start() {
        if (!mllp) return;
        const a = await mllp.start();
        log.info({ port: a.port, host: a.address }, 'mllp listener started');
      },
      async stop() {
        await mllp?.stop();
      },
    },
    reader: {
      getResult: (id) => results.getResult(id),
      listPatientResults: (identifier, limit) => results.listPatientResults(identifier, limit),
      criticalSince: (since, limit) => results.criticalSince(since, limit),
    },
    mllpAddress: () => mllp?.address() ?? null,
  };
}
