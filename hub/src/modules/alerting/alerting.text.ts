import { createHash } from 'node:crypto';
import type { LabObservation, LabResultView } from '@konsilium/shared';
import type { AlertSubjectDescription } from './alerting.ports.js';

/** The observation an alert is about: the first critical one (else the first). */
export function headObservation(r: LabResultView): LabObservation | null {
  return r.observations.find((o) => o.critical) ?? r.observations[0] ?? null;
}

export function patientName(r: LabResultView): string {
  const n = r.patient.name;
  return [n.family, n.given, n.middle].filter((p) => p && p.trim()).join(' ');
}

/** The patient binding of the alert conversation: the first identifier with a value. */
export function patientBinding(
  r: LabResultView,
): { system: string; value: string; label?: string } | undefined {
  const id = r.patient.identifiers.find((i) => i.value.trim().length > 0);
  if (!id) return undefined;
  const label = patientName(r).slice(0, 200);
  return {
    system: (id.system.trim() || 'unknown').slice(0, 200),
    value: id.value.trim().slice(0, 200),
    ...(label ? { label } : {}),
  };
}

const flagOf = (o: LabObservation) => o.flags.join(',') || (o.critical ? 'critical' : '');

/** The `AlertSubjects` description of a result (contracts-alerts.md). */
export function describeResult(r: LabResultView): AlertSubjectDescription {
  const o = headObservation(r);
  const name = patientName(r);
  const observedAt = o?.observedAt ?? r.observedAt;
  return {
    patient: {
      identifiers: r.patient.identifiers.map((i) => ({ system: i.system, value: i.value })),
      ...(name ? { name } : {}),
    },
    result: {
      resultId: r.id,
      test: {
        code: o?.code || r.test.code,
        ...(o?.name || r.test.name ? { display: o?.name || r.test.name } : {}),
      },
      value: o?.value ?? '',
      ...(o?.units ? { units: o.units } : {}),
      ...(o?.referenceRange ? { referenceRange: o.referenceRange } : {}),
      flag: o ? flagOf(o) : 'critical',
      ...(observedAt ? { observedAt } : {}),
    },
  };
}

/**
 * The alert message (Russian, the product's default language): every critical
 * observation with value, units, reference range and flag, then the patient
 * and the request to confirm. Stored in the hub's database only, never logged.
 */
export function alertText(r: LabResultView): string {
  const critical = r.observations.filter((o) => o.critical);
  const shown = critical.length ? critical : r.observations.slice(0, 1);
  const lines = shown.map((o) => {
    const test = o.name ? `${o.name} (${o.code})` : o.code;
    const value = [o.value, o.units].filter(Boolean).join(' ');
    const range = o.referenceRange ? `, норма ${o.referenceRange}` : '';
    return `${test}: ${value}${range}, флаг ${flagOf(o)}`;
  });
  const ids = r.patient.identifiers
    .filter((i) => i.value)
    .map((i) => (i.system ? `${i.system} ${i.value}` : i.value))
    .join(', ');
  const who = [patientName(r), ids].filter(Boolean).join(', ');
  const when = r.observedAt ? `\nВзято/измерено: ${r.observedAt}` : '';
  return (
    `Критический результат: ${lines.join('; ')}\n` +
    `Пациент: ${who || 'не указан'}${when}\n` +
    'Подтвердите значение (read-back) и укажите принятые меры.'
  );
}

/** The alert message's id, derived from the result id: a retried send is the same message. */
export function messageIdFor(resultId: string): string {
  return nameUuid(`konsilium:result-alert:${resultId}`);
}

/** The id of the alert's conversation when it is opened together with its message. */
export function conversationIdFor(resultId: string): string {
  return nameUuid(`konsilium:result-alert-conversation:${resultId}`);
}

/** A name-based UUID (version 5 layout over SHA-256). */
function nameUuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
