/**
 * FHIRcast (STU3) message shapes as they arrive on the WebSocket channel and
 * from the current-context endpoint, validated with zod, plus the mapping of
 * a FHIR Patient/Encounter to our identifier fields. Deliberately tolerant of
 * the deviations real hubs and the specification's own examples show: event
 * names in any case (`patient-open`), the STU1 names (`open-patient-chart`),
 * timestamps without a zone (read as UTC, as the specification means),
 * `context` given as one object instead of an array, identifiers without a
 * system, a status given as a number or a string.
 */
import { z } from 'zod';
import type { ContextFields } from './common.js';

/** Frames larger than this are ignored (a Patient with a photo is far smaller). */
export const MAX_FRAME_BYTES = 256 * 1024;

export const EVENT_KINDS = [
  'patient-open',
  'patient-close',
  'encounter-open',
  'encounter-close',
  'logout',
  'heartbeat',
  'syncerror',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

const EVENT_ALIASES: Record<string, EventKind> = {
  'patient-open': 'patient-open',
  'open-patient-chart': 'patient-open',
  'patient-close': 'patient-close',
  'close-patient-chart': 'patient-close',
  'encounter-open': 'encounter-open',
  'encounter-close': 'encounter-close',
  userlogout: 'logout',
  'user-logout': 'logout',
  userhibernate: 'logout',
  'user-hibernate': 'logout',
  heartbeat: 'heartbeat',
  syncerror: 'syncerror',
  'sync-error': 'syncerror',
};

/** Maps a `hub.event` name to its kind, or null for events we do not follow. */
export function eventKind(name: string): EventKind | null {
  return EVENT_ALIASES[name.trim().toLowerCase().replace(/_/g, '-')] ?? null;
}

const resource = z.record(z.unknown());
const contextEntry = z.object({ key: z.string().max(64), resource: resource.optional() });
export type ContextEntry = z.infer<typeof contextEntry>;
const contextList = z
  .union([z.array(contextEntry).max(64), contextEntry])
  .transform((c) => (Array.isArray(c) ? c : [c]));

export const eventFrameSchema = z.object({
  id: z.string().min(1).max(256),
  timestamp: z.string().max(64),
  event: z.object({
    'hub.topic': z.string().max(1024).optional(),
    'hub.event': z.string().min(1).max(128),
    context: contextList.optional().default([]),
  }),
});
export type EventFrame = z.infer<typeof eventFrameSchema>;

/** Subscription confirmation (`subscribe`), denial (`denied`) or unsubscribe echo. */
export const modeFrameSchema = z.object({
  'hub.mode': z.string().max(32),
  'hub.topic': z.string().max(1024).optional(),
  'hub.lease_seconds': z.union([z.number(), z.string()]).optional(),
  'hub.reason': z.string().optional(),
});
export type ModeFrame = z.infer<typeof modeFrameSchema>;

/** Body of the STU3 current-context read (`GET {hub}/{topic}`); an older bare array too. */
export const currentContextSchema = z.union([
  z.object({ 'context.type': z.string().optional(), context: contextList.optional().default([]) }),
  z.array(contextEntry).max(64),
]);

export function contextEntries(body: z.infer<typeof currentContextSchema>): ContextEntry[] {
  return Array.isArray(body) ? body : body.context;
}

const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?$/i;

/** Event timestamp in epoch ms, reading a zone-less value as UTC; null when unusable. */
export function parseTimestamp(ts: string): number | null {
  const m = ISO.exec(ts.trim());
  if (!m) return null;
  let zone = m[2] ?? 'Z';
  if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}${zone.toUpperCase()}`);
  return Number.isFinite(ms) ? ms : null;
}

/** The resource under `key` (`patient`, `encounter`), also found by its resourceType. */
export function findResource(
  entries: ContextEntry[],
  key: 'patient' | 'encounter',
): Record<string, unknown> | null {
  const type = key === 'patient' ? 'Patient' : 'Encounter';
  const byKey = entries.find((e) => e.key.toLowerCase() === key && e.resource);
  if (byKey?.resource) return byKey.resource;
  return entries.find((e) => e.resource?.resourceType === type)?.resource ?? null;
}

interface Identifier {
  system?: string;
  value: string;
}

function identifiers(res: Record<string, unknown>): Identifier[] {
  const list = Array.isArray(res.identifier) ? (res.identifier as unknown[]).slice(0, 64) : [];
  const out: Identifier[] = [];
  for (const item of list) {
    if (typeof item !== 'object' || item === null) continue;
    const { system, value } = item as { system?: unknown; value?: unknown };
    if (typeof value !== 'string' || value.trim() === '') continue;
    out.push(typeof system === 'string' && system.trim() !== '' ? { system, value } : { value });
  }
  return out;
}

export interface IdentifierPolicy {
  /** Preferred identifier system (the one the hub's MIS connector knows patients by). */
  identifierSystem?: string | undefined;
  /** System given to `Patient.id` when no identifier can be used. */
  resourceIdSystem?: string | undefined;
}

/**
 * Picks the identifier to follow: the configured system; else the first
 * identifier with a system; else the first bare identifier or the resource id,
 * under the configured system. Null when none of these exists.
 */
export function pickIdentifier(
  res: Record<string, unknown>,
  policy: IdentifierPolicy,
): { system: string; value: string } | null {
  const ids = identifiers(res);
  const preferred = policy.identifierSystem;
  const exact = preferred ? ids.find((i) => i.system === preferred) : undefined;
  if (exact) return { system: exact.system!, value: exact.value };
  const withSystem = ids.find((i) => i.system !== undefined);
  if (withSystem) return { system: withSystem.system!, value: withSystem.value };
  const bare = ids[0];
  if (bare && preferred) return { system: preferred, value: bare.value };
  const idSystem = policy.resourceIdSystem ?? preferred;
  if (typeof res.id === 'string' && res.id.trim() !== '' && idSystem) {
    return { system: idSystem, value: res.id };
  }
  return null;
}

/** `Patient.name[0]` as one line: its `text`, else given names and family. */
export function patientDisplay(res: Record<string, unknown>): string | undefined {
  const names = Array.isArray(res.name) ? (res.name as unknown[]) : [];
  const first = names[0];
  if (typeof first !== 'object' || first === null) return undefined;
  const { text, family, given } = first as { text?: unknown; family?: unknown; given?: unknown };
  if (typeof text === 'string' && text.trim() !== '') return text.slice(0, 256);
  const parts: string[] = [];
  if (typeof family === 'string') parts.push(family);
  if (Array.isArray(given)) parts.push(...given.filter((g): g is string => typeof g === 'string'));
  const joined = parts.join(' ').trim();
  return joined === '' ? undefined : joined.slice(0, 256);
}

/** Encounter identifier: its first identifier, else its resource id without a system. */
export function encounterFields(res: Record<string, unknown>): ContextFields['encounter'] {
  const first = identifiers(res)[0];
  if (first)
    return first.system ? { system: first.system, value: first.value } : { value: first.value };
  if (typeof res.id === 'string' && res.id.trim() !== '') return { value: res.id };
  return undefined;
}

/** The encounter in context entries, if any. */
export function encounterOf(entries: ContextEntry[]): ContextFields['encounter'] {
  const res = findResource(entries, 'encounter');
  return res ? encounterFields(res) : undefined;
}

/** Patient fields from context entries, or a machine reason. */
export function patientFromContext(
  entries: ContextEntry[],
  policy: IdentifierPolicy,
): ContextFields | { reason: string } {
  const patient = findResource(entries, 'patient');
  if (!patient) return { reason: 'fhircast.no_patient' };
  const id = pickIdentifier(patient, policy);
  if (!id) return { reason: 'fhircast.no_identifier' };
  const fields: ContextFields = { ...id, display: patientDisplay(patient) };
  fields.encounter = encounterOf(entries);
  return fields;
}

/**
 * The WebSocket endpoint from a subscription response: `hub.channel.endpoint`
 * of a JSON body, or (older hubs) the bare URL as the body. Only `ws:`/`wss:`,
 * and never a plain `ws:` channel offered by an `https:` hub (a downgrade).
 */
export function channelEndpoint(
  body: string,
  hubUrl: string,
): { ok: true; endpoint: string } | { ok: false; reason: string } {
  let candidate: unknown = body.trim();
  try {
    const parsed: unknown = JSON.parse(body);
    candidate =
      typeof parsed === 'object' && parsed !== null
        ? (parsed as Record<string, unknown>)['hub.channel.endpoint']
        : parsed;
  } catch {
    // Not JSON: the body itself may be the endpoint.
  }
  if (typeof candidate !== 'string') return { ok: false, reason: 'fhircast.no_endpoint' };
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return { ok: false, reason: 'fhircast.bad_endpoint' };
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    return { ok: false, reason: 'fhircast.bad_endpoint' };
  }
  if (/^https:/i.test(hubUrl) && url.protocol === 'ws:') {
    return { ok: false, reason: 'fhircast.insecure_endpoint' };
  }
  return { ok: true, endpoint: url.toString() };
}
