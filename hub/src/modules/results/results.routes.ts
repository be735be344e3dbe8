import { z } from 'zod';
import { AppError, isAppError, ResultsFeedQuery } from '@konsilium/shared';
import { readRawBody } from '../../platform/http/body.js';
import { route, type Route, type RouteResponse } from '../../platform/http/routes.js';
import type { Logger } from '../../platform/log/logger.js';
import { FhirInvalid, operationOutcome, parseFhirSubmission } from './results.fhir.js';
import type { ResultsService } from './results.service.js';

const IdParam = z.object({ id: z.string().uuid() }).strict();

const FHIR_TYPES = new Set(['application/fhir+json', 'application/json']);

function fhirError(
  status: number,
  code: Parameters<typeof operationOutcome>[1],
  text: string,
  extra: { expression?: string; konsiliumCode?: string } = {},
): RouteResponse {
  return {
    status,
    body: operationOutcome('error', code, text, extra),
    headers: { 'Content-Type': 'application/fhir+json; charset=utf-8' },
  };
}

/** The FHIR ingest endpoints and the patient's result feed. */
export function resultsRoutes(s: {
  results: ResultsService;
  maxJsonBytes: number;
  criticalFlags: ReadonlySet<string>;
  log: Logger;
}): Route[] {
  const ingest = (expected: 'Observation' | 'DiagnosticReport') =>
    route({
      method: 'POST',
      path: `/api/v1/fhir/${expected}`,
      access: { permission: 'results.ingest' },
      bodyKind: 'raw',
      handler: async ({ raw, actor, meta }) => {
        const type = (raw.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (!FHIR_TYPES.has(type))
          return fhirError(415, 'not-supported', 'the body must be application/fhir+json', {
            konsiliumCode: 'http.unsupported_media_type',
          });
        let bytes: Buffer;
        try {
          bytes = await readRawBody(raw, s.maxJsonBytes);
        } catch (err) {
          if (isAppError(err) && err.code === 'http.payload_too_large')
            return fhirError(413, 'too-costly', 'the body is too large', {
              konsiliumCode: err.code,
            });
          throw err;
        }
        let body: unknown;
        try {
          body = JSON.parse(bytes.toString('utf8'));
        } catch {
          return fhirError(400, 'structure', 'the body is not valid JSON', {
            konsiliumCode: 'http.malformed_json',
          });
        }
        let parsed;
        try {
          parsed = parseFhirSubmission(body, expected, {
            sender: `fhir:${actor!.userId}`,
            critical: s.criticalFlags,
          });
        } catch (err) {
          if (err instanceof FhirInvalid) {
            s.log.warn(
              { requestId: meta.requestId, where: err.expression },
              'fhir submission refused',
            );
            return fhirError(400, 'invalid', err.message, {
              ...(err.expression ? { expression: err.expression } : {}),
              konsiliumCode: 'results.invalid_resource',
            });
          }
          throw err;
        }
        const outcomes = [];
        for (const result of parsed) {
          const o = await s.results.ingest(result, {
            actorId: actor!.userId,
            requestId: meta.requestId,
          });
          outcomes.push(o);
          s.log.info(
            {
              requestId: meta.requestId,
              resultId: o.id,
              duplicate: o.duplicate,
              critical: o.critical,
            },
            o.duplicate ? 'fhir result duplicate acknowledged' : 'fhir result stored',
          );
        }
        const created = outcomes.some((o) => !o.duplicate);
        const outcome = operationOutcome(
          'information',
          'informational',
          created ? 'stored' : 'already stored',
        );
        return {
          status: created ? 201 : 200,
          body: {
            ...outcome,
            issue: outcomes.map((o) => ({
              severity: 'information',
              code: 'informational',
              details: {
                text: o.duplicate ? 'already stored' : 'stored',
                coding: [{ system: 'urn:konsilium:result', code: o.id }],
              },
            })),
          },
          headers: {
            'Content-Type': 'application/fhir+json; charset=utf-8',
            Location: `/api/v1/results/${outcomes[0]!.id}`,
          },
        };
      },
    });

  return [
    ingest('Observation'),
    ingest('DiagnosticReport'),
    route({
      method: 'GET',
      path: '/api/v1/results',
      access: { permission: 'results.read' },
      query: ResultsFeedQuery,
      handler: async ({ query }) => {
        const items = await s.results.listPatientResults(
          {
            value: query.patientValue,
            ...(query.patientSystem !== undefined ? { system: query.patientSystem } : {}),
          },
          query.limit ?? 100,
        );
        return { body: { items } };
      },
    }),
    route({
      method: 'GET',
      path: '/api/v1/results/:id',
      access: { permission: 'results.read' },
      params: IdParam,
      handler: async ({ params }) => {
        const r = await s.results.getResult(params.id);
        if (!r) throw new AppError('results.not_found');
        return { body: r };
      },
    }),
  ];
}
