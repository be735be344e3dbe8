import type { LabResultView } from '@konsilium/shared';
import type { RoutingRule } from './alerting.entity.js';
import type {
  AlertingEscalation,
  AlertingPeople,
  AlertingRosters,
  AlertingUnit,
} from './alerting.ports.js';

/** Where a critical result's alert goes, and why (the audited part has no patient data). */
export interface RoutingDecision {
  rule: RoutingRule;
  targets: string[];
  unitId: string | null;
  roleId: string | null;
  /** For the audit row: how many ordering clinicians were named and how many matched. */
  ordering: { named: number; matched: number };
}

const fold = (s: string) => s.trim().toLocaleLowerCase('ru');

/**
 * The unit a result's hints name: PV1-3 point of care, then facility, matched
 * against unit codes first and unit names second (case-insensitive, active
 * units only).
 */
export function unitOf(hints: readonly string[], units: readonly AlertingUnit[]): string | null {
  const active = units.filter((u) => u.active);
  for (const hint of hints) {
    const h = fold(hint);
    if (!h) continue;
    const byCode = active.find((u) => u.code !== null && fold(u.code) === h);
    if (byCode) return byCode.id;
    const byName = active.find((u) => fold(u.name) === h);
    if (byName) return byName.id;
  }
  return null;
}

/** The unit and its ancestors, nearest first. */
function lineage(unitId: string, units: readonly AlertingUnit[]): string[] {
  const byId = new Map(units.map((u) => [u.id, u]));
  const out: string[] = [];
  for (
    let u = byId.get(unitId);
    u && !out.includes(u.id);
    u = u.parentId ? byId.get(u.parentId) : undefined
  )
    out.push(u.id);
  return out;
}

/**
 * Routing of a critical result (ADR 0022): the ordering clinicians matched by
 * their external identifiers; else whoever is on call for the results role of
 * the patient's unit (its oldest active duty role, looking up the tree); else
 * the escalation policy's fail-safe.
 */
export async function routeResult(
  result: LabResultView,
  at: Date,
  deps: { people: AlertingPeople; rosters: AlertingRosters; escalation: AlertingEscalation },
): Promise<RoutingDecision> {
  const named = result.ordering.filter((o) => o.id.trim().length > 0);
  const matched = new Set<string>();
  for (const o of named) {
    for (const id of await deps.people.byExternalId(o.system.trim(), o.id.trim())) matched.add(id);
  }
  const units = result.unitHints.length ? await deps.people.units() : [];
  const unitId = unitOf(result.unitHints, units);
  const ordering = { named: named.length, matched: matched.size };
  if (matched.size > 0)
    return { rule: 'ordering_clinician', targets: [...matched], unitId, roleId: null, ordering };
  if (unitId) {
    for (const u of lineage(unitId, units)) {
      const role = (await deps.rosters.rolesOfUnit(u))[0];
      if (!role) continue;
      const answer = await deps.rosters.resolveOnCall(role.id, at);
      const people = answer.people.map((p) => p.id);
      if (people.length > 0)
        return { rule: 'unit_on_call', targets: people, unitId, roleId: role.id, ordering };
      break;
    }
  }
  const safe = await deps.escalation.failSafeFor({
    unitId,
    priority: 'critical',
    kind: 'critical_result',
  });
  return { rule: 'fail_safe', targets: [...new Set(safe.userIds)], unitId, roleId: null, ordering };
}
