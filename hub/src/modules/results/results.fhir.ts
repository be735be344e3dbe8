import { createHash } from 'node:crypto';
import type {
  Bundle,
  DiagnosticReport,
  Observation,
  OperationOutcome,
  Patient,
  Practitioner,
  Reference,
  ServiceRequest,
} from '@medplum/fhirtypes';
import { z } from 'zod';
import type {
  ClinicianRef,
  LabObservation,
  NormalisedResult,
  PatientIdentifier,
} from './results.types.js';

/**
 * The FHIR R4 subset the hub accepts (ADR 0018): an Observation, a
 * DiagnosticReport with contained or bundled Observations, or a Bundle of
 * those. Unknown elements are allowed and ignored; the ones read are checked.
 */

const S = z.string().max(1000);
const Coding = z.object({ system: S.optional(), code: S.optional(), display: S.optional() });
const CodeableConcept = z.object({
  coding: z.array(Coding).max(50).optional(),
  text: S.optional(),
});
const Identifier = z.object({
  system: S.optional(),
  value: S.optional(),
  type: CodeableConcept.optional(),
});
const Ref = z.object({
  reference: S.optional(),
  identifier: Identifier.optional(),
  display: S.optional(),
});
const Quantity = z.object({
  value: z.number().finite().optional(),
  unit: S.optional(),
  code: S.optional(),
  comparator: z.enum(['<', '<=', '>=', '>']).optional(),
});
const HumanName = z.object({
  family: S.optional(),
  given: z.array(S).max(10).optional(),
  text: S.optional(),
});
const FhirId = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/);

const ObservationSchema = z.object({
  resourceType: z.literal('Observation'),
  id: FhirId.optional(),
  identifier: z.array(Identifier).max(20).optional(),
  status: z.enum([
    'registered',
    'preliminary',
    'final',
    'amended',
    'corrected',
    'cancelled',
    'entered-in-error',
    'unknown',
  ]),
  code: CodeableConcept,
  subject: Ref.optional(),
  basedOn: z.array(Ref).max(20).optional(),
  effectiveDateTime: S.optional(),
  issued: S.optional(),
  valueQuantity: Quantity.optional(),
  valueString: S.optional(),
  valueCodeableConcept: CodeableConcept.optional(),
  valueBoolean: z.boolean().optional(),
  valueInteger: z.number().int().optional(),
  interpretation: z.array(CodeableConcept).max(20).optional(),
  referenceRange: z
    .array(z.object({ low: Quantity.optional(), high: Quantity.optional(), text: S.optional() }))
    .max(10)
    .optional(),
  contained: z.array(z.unknown()).max(100).optional(),
});

const PatientSchema = z.object({
  resourceType: z.literal('Patient'),
  id: FhirId.optional(),
  identifier: z.array(Identifier).max(20).optional(),
  name: z.array(HumanName).max(10).optional(),
  birthDate: z
    .string()
    .regex(/^\d{4}(-\d{2}(-\d{2})?)?$/)
    .optional(),
});
const PractitionerSchema = z.object({
  resourceType: z.literal('Practitioner'),
  id: FhirId.optional(),
  identifier: z.array(Identifier).max(20).optional(),
  name: z.array(HumanName).max(10).optional(),
});
const ServiceRequestSchema = z.object({
  resourceType: z.literal('ServiceRequest'),
  id: FhirId.optional(),
  requester: Ref.optional(),
});
const DiagnosticReportSchema = z.object({
  resourceType: z.literal('DiagnosticReport'),
  id: FhirId.optional(),
  identifier: z.array(Identifier).max(20).optional(),
  status: S,
  code: CodeableConcept,
  subject: Ref.optional(),
  basedOn: z.array(Ref).max(20).optional(),
  effectiveDateTime: S.optional(),
  issued: S.optional(),
  result: z.array(Ref).max(500).optional(),
  contained: z.array(z.unknown()).max(500).optional(),
});
const BundleSchema = z.object({
  resourceType: z.literal('Bundle'),
  id: FhirId.optional(),
  type: z.enum(['transaction', 'batch', 'collection', 'message', 'document']),
  entry: z
    .array(z.object({ fullUrl: S.optional(), resource: z.record(z.unknown()) }))
    .min(1)
    .max(1000),
});

/** A resource that cannot be taken; the message never holds patient data. */
export class FhirInvalid extends Error {
  constructor(
    message: string,
    readonly expression?: string,
  ) {
    super(message);
  }
}

type Any = Observation | DiagnosticReport | Patient | Practitioner | ServiceRequest;

function checked<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = [where, ...issue.path.map(String)].filter((p) => p).join('.');
    throw new FhirInvalid(`${path}: ${issue.message}`, path);
  }
  return r.data;
}

const PARSERS: Record<string, z.ZodType<unknown, z.ZodTypeDef, unknown>> = {
  Observation: ObservationSchema,
  DiagnosticReport: DiagnosticReportSchema,
  Patient: PatientSchema,
  Practitioner: PractitionerSchema,
  ServiceRequest: ServiceRequestSchema,
};

/** Resolves references within one submission: `#id` (contained), fullUrl, `Type/id`. */
class Resolver {
  private readonly byKey = new Map<string, Any>();

  add(resource: Any, keys: string[]): void {
    for (const k of keys) this.byKey.set(k, resource);
  }

  resolve<T extends Any>(ref: Reference | undefined, type: T['resourceType']): T | null {
    const r = ref?.reference ? this.byKey.get(ref.reference) : undefined;
    return r && r.resourceType === type ? (r as T) : null;
  }
}

function keysOf(resource: Any, fullUrl?: string): string[] {
  const keys: string[] = [];
  if (fullUrl) keys.push(fullUrl);
  if (resource.id) keys.push(`${resource.resourceType}/${resource.id}`);
  return keys;
}

function loadContained(
  contained: unknown[] | undefined,
  where: string,
  into: Resolver,
): Observation[] {
  const observations: Observation[] = [];
  (contained ?? []).forEach((raw, n) => {
    const type = (raw as { resourceType?: unknown } | null)?.resourceType;
    const parser = typeof type === 'string' ? PARSERS[type] : undefined;
    if (!parser) return; // Other contained resources are not read.
    const resource = checked(parser, raw, `${where}.contained.${n}`) as Any;
    if (resource.id) into.add(resource, [`#${resource.id}`]);
    if (resource.resourceType === 'Observation') observations.push(resource);
  });
  return observations;
}

function concept(c: z.infer<typeof CodeableConcept> | undefined) {
  const coding = c?.coding?.find((x) => x.code) ?? c?.coding?.[0];
  return {
    code: coding?.code ?? '',
    name: c?.text ?? coding?.display ?? '',
    system: coding?.system ?? '',
  };
}

function valueOf(o: Observation): { type: string; value: string; units: string } {
  if (o.valueQuantity)
    return {
      type: 'Quantity',
      value: `${o.valueQuantity.comparator ?? ''}${o.valueQuantity.value ?? ''}`,
      units: o.valueQuantity.unit ?? o.valueQuantity.code ?? '',
    };
  if (o.valueString !== undefined) return { type: 'string', value: o.valueString, units: '' };
  if (o.valueCodeableConcept) {
    const c = concept(o.valueCodeableConcept);
    return { type: 'CodeableConcept', value: c.name || c.code, units: '' };
  }
  if (o.valueBoolean !== undefined)
    return { type: 'boolean', value: String(o.valueBoolean), units: '' };
  if (o.valueInteger !== undefined)
    return { type: 'integer', value: String(o.valueInteger), units: '' };
  return { type: '', value: '', units: '' };
}

function range(o: Observation): string {
  const r = o.referenceRange?.[0];
  if (!r) return '';
  if (r.text) return r.text;
  const low = r.low?.value;
  const high = r.high?.value;
  if (low !== undefined && high !== undefined) return `${low}-${high}`;
  if (low !== undefined) return `>${low}`;
  if (high !== undefined) return `<${high}`;
  return '';
}

const CRITICAL_WORDS = new Set(['CRITICAL', 'CRIT']);

function observation(
  o: Observation,
  critical: ReadonlySet<string>,
  orderCode: string,
): LabObservation {
  const id = concept(o.code);
  const v = valueOf(o);
  const flags = (o.interpretation ?? [])
    .flatMap((i) => i.coding?.map((c) => c.code ?? '') ?? [])
    .filter((c) => c.length > 0);
  return {
    ...id,
    orderCode,
    valueType: v.type,
    value: v.value,
    units: v.units,
    referenceRange: range(o),
    flags,
    critical: flags.some(
      (f) => critical.has(f.toUpperCase()) || CRITICAL_WORDS.has(f.toUpperCase()),
    ),
    status: o.status,
    observedAt: o.effectiveDateTime ?? o.issued ?? null,
  };
}

function identifiersOf(list: z.infer<typeof Identifier>[] | undefined): PatientIdentifier[] {
  return (list ?? [])
    .filter((i) => i.value)
    .map((i) => ({ value: i.value!, system: i.system ?? '', type: concept(i.type).code }));
}

function clinician(ref: Reference | undefined, into: Resolver): ClinicianRef | null {
  if (!ref) return null;
  const p = into.resolve<Practitioner>(ref, 'Practitioner');
  const name = p?.name?.[0];
  const ident = p?.identifier?.find((i) => i.value) ?? ref.identifier;
  if (!ident?.value && !name) {
    if (!ref.reference) return null;
    return { id: ref.reference, system: 'reference', family: ref.display ?? '', given: '' };
  }
  return {
    id: ident?.value ?? '',
    system: ident?.system ?? '',
    family: name?.family ?? ref.display ?? '',
    given: name?.given?.join(' ') ?? '',
  };
}

function build(
  head: Observation | DiagnosticReport,
  observations: Observation[],
  into: Resolver,
  ctx: { sender: string; critical: ReadonlySet<string>; raw: unknown },
): NormalisedResult {
  const subject = head.subject ?? observations.find((o) => o.subject)?.subject;
  const pat = into.resolve<Patient>(subject, 'Patient');
  const identifiers = identifiersOf(
    pat?.identifier ?? (subject?.identifier ? [subject.identifier] : []),
  );
  if (identifiers.length === 0)
    throw new FhirInvalid('the subject has no patient identifier', `${head.resourceType}.subject`);
  const name = pat?.name?.[0];
  const test = concept(head.code);
  if (!test.code && !test.name)
    throw new FhirInvalid('the code is empty', `${head.resourceType}.code`);
  const ordering: ClinicianRef[] = [];
  for (const b of [...(head.basedOn ?? []), ...observations.flatMap((o) => o.basedOn ?? [])]) {
    const sr = into.resolve<ServiceRequest>(b, 'ServiceRequest');
    const c = clinician(sr?.requester, into);
    if (c && !ordering.some((o) => o.id === c.id && o.system === c.system)) ordering.push(c);
  }
  const obs = observations.map((o) => observation(o, ctx.critical, test.code));
  if (obs.length === 0)
    throw new FhirInvalid('no Observation in the report', `${head.resourceType}.result`);
  const ident = head.identifier?.find((i) => i.value);
  const controlId = ident
    ? `${ident.system ?? ''}|${ident.value}`
    : head.id
      ? `${head.resourceType}/${head.id}`
      : `sha256:${createHash('sha256').update(JSON.stringify(ctx.raw)).digest('hex')}`;
  return {
    source: 'fhir',
    sender: ctx.sender,
    controlId,
    messageType: head.resourceType,
    patient: {
      identifiers,
      name: {
        family: name?.family ?? '',
        given: name?.given?.[0] ?? '',
        middle: name?.given?.slice(1).join(' ') ?? '',
      },
      birthDate: pat?.birthDate ?? null,
    },
    ordering,
    unitHints: [],
    test,
    observedAt:
      head.effectiveDateTime ?? head.issued ?? obs.find((o) => o.observedAt)?.observedAt ?? null,
    observations: obs,
    critical: obs.some((o) => o.critical),
    abnormal: obs.some((o) => o.flags.some((f) => f.toUpperCase() !== 'N')),
    digest: createHash('sha256').update(JSON.stringify(ctx.raw)).digest('hex'),
  };
}

/**
 * One submission → its results. `expected` is the resource type of the
 * endpoint (a Bundle is accepted on either). Throws {@link FhirInvalid}.
 */
export function parseFhirSubmission(
  body: unknown,
  expected: 'Observation' | 'DiagnosticReport',
  ctx: { sender: string; critical: ReadonlySet<string> },
): NormalisedResult[] {
  const type = (body as { resourceType?: unknown } | null)?.resourceType;
  const into = new Resolver();
  const c = { ...ctx, raw: body };
  if (type === 'Bundle') {
    const bundle = checked(BundleSchema, body, 'Bundle') as unknown as Bundle;
    const heads: (Observation | DiagnosticReport)[] = [];
    const all: Observation[] = [];
    bundle.entry!.forEach((e, n) => {
      const rt = (e.resource as { resourceType?: unknown }).resourceType;
      const parser = typeof rt === 'string' ? PARSERS[rt] : undefined;
      if (!parser) return;
      const r = checked(parser, e.resource, `Bundle.entry.${n}.resource`) as Any;
      into.add(r, keysOf(r, e.fullUrl));
      if (r.resourceType === 'DiagnosticReport') heads.push(r);
      if (r.resourceType === 'Observation') all.push(r);
      if (r.resourceType === 'DiagnosticReport' || r.resourceType === 'Observation')
        loadContained(r.contained, `Bundle.entry.${n}.resource`, into);
    });
    const reports = heads.filter(
      (h): h is DiagnosticReport => h.resourceType === 'DiagnosticReport',
    );
    if (reports.length > 0) return reports.map((r) => build(r, referenced(r, into), into, c));
    if (all.length === 0)
      throw new FhirInvalid('the bundle has no Observation or DiagnosticReport', 'Bundle.entry');
    return all.map((o) => build(o, [o], into, c));
  }
  if (type !== expected)
    throw new FhirInvalid(`expected a ${expected} or a Bundle`, 'resourceType');
  if (expected === 'Observation') {
    const o = checked(ObservationSchema, body, 'Observation') as unknown as Observation;
    loadContained(o.contained, 'Observation', into);
    return [build(o, [o], into, c)];
  }
  const r = checked(
    DiagnosticReportSchema,
    body,
    'DiagnosticReport',
  ) as unknown as DiagnosticReport;
  loadContained(r.contained, 'DiagnosticReport', into);
  return [build(r, referenced(r, into), into, c)];
}

function referenced(r: DiagnosticReport, into: Resolver): Observation[] {
  return (r.result ?? []).map((ref, n) => {
    const o = into.resolve<Observation>(ref, 'Observation');
    if (!o)
      throw new FhirInvalid('a result reference does not resolve', `DiagnosticReport.result.${n}`);
    return o;
  });
}

/** An OperationOutcome for an error (never patient data). */
export function operationOutcome(
  severity: 'error' | 'information',
  code: NonNullable<OperationOutcome['issue']>[number]['code'],
  text: string,
  extra: { expression?: string; konsiliumCode?: string } = {},
): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity,
        code,
        details: {
          text,
          ...(extra.konsiliumCode
            ? { coding: [{ system: 'urn:konsilium:error', code: extra.konsiliumCode }] }
            : {}),
        },
        ...(extra.expression ? { expression: [extra.expression] } : {}),
      },
    ],
  };
}
