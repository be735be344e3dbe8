import { randomUUID } from 'node:crypto';
import { In, type EntityManager } from 'typeorm';
import { foldText, type ImportProblem } from '@konsilium/shared';
import { OrgUnitEntity, StaffEntity, StaffExternalIdEntity } from './directory.entity.js';
import { chunks, loadRecords } from './directory.store.js';
import { sameSet, type NewStaff, type StaffFields } from './directory.writes.js';
import type { CandidateRow } from './directory-import.rows.js';

/** An existing user the file changes. */
export interface PlannedUpdate {
  id: string;
  line: number;
  fields: Partial<StaffFields>;
  unitIds: string[] | undefined;
  /** Systems whose id the file sets (value) or clears (null). */
  externalIds: Map<string, string | null>;
  changed: string[];
}

export interface ImportPlan {
  creates: (NewStaff & { line: number })[];
  updates: PlannedUpdate[];
  unchanged: number;
  problems: ImportProblem[];
  unitNames: Map<string, string>;
}

const extKey = (system: string, value: string) => `${system}\u0000${value}`;

/**
 * Matches each row to an existing user (by login or by an external id),
 * resolves unit names/codes and works out what would change. Reads only.
 */
export async function planImport(
  m: EntityManager,
  rows: readonly CandidateRow[],
): Promise<ImportPlan> {
  const problems: ImportProblem[] = [];
  const units = (await m.find(OrgUnitEntity)).filter((u) => u.active);
  const unitNames = new Map(units.map((u) => [u.id, u.name]));
  const byCode = new Map(units.filter((u) => u.code).map((u) => [foldText(u.code!), u.id]));
  const byName = new Map<string, string[]>();
  for (const u of units)
    byName.set(foldText(u.name), [...(byName.get(foldText(u.name)) ?? []), u.id]);

  const loginOwner = new Map<string, string>();
  for (const part of chunks([...new Set(rows.map((r) => r.login))])) {
    for (const s of await m.find(StaffEntity, {
      where: { login: In(part) },
      select: { id: true, login: true },
    }))
      loginOwner.set(s.login, s.id);
  }
  const extOwner = new Map<string, string>();
  const pairs = rows.flatMap((r) =>
    [...r.externalIds].filter(([, v]) => v !== null).map(([s, v]) => ({ system: s, value: v! })),
  );
  for (const part of chunks([...new Set(pairs.map((p) => p.value))])) {
    for (const e of await m.findBy(StaffExternalIdEntity, { value: In(part) }))
      extOwner.set(extKey(e.system, e.value), e.userId);
  }

  const seenLogin = new Map<string, number>();
  const seenExt = new Map<string, number>();
  const seenTarget = new Map<string, number>();
  const resolved: { row: CandidateRow; target: string | null; unitIds: string[] | undefined }[] =
    [];
  rows: for (const row of rows) {
    const problem = (reason: string, field?: string) =>
      problems.push({ line: row.line, reason, ...(field ? { field } : {}) });
    const dupLogin = seenLogin.get(row.login);
    if (dupLogin !== undefined) {
      problem(`login repeats line ${dupLogin}`, 'login');
      continue;
    }
    seenLogin.set(row.login, row.line);
    const owners = new Set<string>();
    for (const [system, value] of row.externalIds) {
      if (value === null) continue;
      const dup = seenExt.get(extKey(system, value));
      if (dup !== undefined) {
        problem(`external id repeats line ${dup}`, system);
        continue rows;
      }
      seenExt.set(extKey(system, value), row.line);
      const owner = extOwner.get(extKey(system, value));
      if (owner) owners.add(owner);
    }
    const byLogin = loginOwner.get(row.login);
    if (owners.size > 1 || (owners.size === 1 && byLogin && !owners.has(byLogin))) {
      problem('login and external ids belong to different staff members');
      continue;
    }
    const target = byLogin ?? [...owners][0] ?? null;
    if (target) {
      const dup = seenTarget.get(target);
      if (dup !== undefined) {
        problem(`matches the same staff member as line ${dup}`);
        continue;
      }
      seenTarget.set(target, row.line);
    }
    let unitIds: string[] | undefined;
    if (row.units) {
      unitIds = [];
      for (const ref of row.units) {
        const key = foldText(ref);
        const named = byName.get(key) ?? [];
        const id = byCode.get(key) ?? (named.length === 1 ? named[0] : undefined);
        if (!id) {
          problem(
            named.length > 1
              ? `unit name "${ref.slice(0, 60)}" is ambiguous; use its code`
              : `unknown unit "${ref.slice(0, 60)}"`,
            'unit',
          );
          continue rows;
        }
        if (!unitIds.includes(id)) unitIds.push(id);
      }
    }
    resolved.push({ row, target, unitIds });
  }

  const existing = await loadRecords(
    m,
    resolved.flatMap((r) => (r.target ? [r.target] : [])),
  );
  const plan: ImportPlan = { creates: [], updates: [], unchanged: 0, problems, unitNames };
  for (const { row, target, unitIds } of resolved) {
    const record = target ? existing.get(target) : undefined;
    if (!record) {
      const f = row.fields;
      const category = f.category ?? 'other';
      plan.creates.push({
        id: randomUUID(),
        line: row.line,
        login: row.login,
        lastName: f.lastName!,
        firstName: f.firstName!,
        middleName: f.middleName ?? null,
        position: f.position ?? null,
        specialty: f.specialty ?? null,
        category,
        phone: f.phone ?? null,
        extension: f.extension ?? null,
        email: f.email ?? null,
        unitIds: unitIds ?? [],
        externalIds: [...row.externalIds].flatMap(([system, value]) =>
          value === null ? [] : [{ system, value }],
        ),
      });
      continue;
    }
    const s = record.staff as unknown as Record<string, unknown>;
    const changed = Object.keys(row.fields).filter(
      (k) => s[k] !== (row.fields as Record<string, unknown>)[k],
    );
    if (
      unitIds &&
      !sameSet(
        unitIds,
        record.units.map((u) => u.id),
      )
    )
      changed.push('unitIds');
    const current = new Map(record.externalIds.map((e) => [e.system, e.value]));
    if ([...row.externalIds].some(([system, value]) => (current.get(system) ?? null) !== value))
      changed.push('externalIds');
    if (changed.length === 0) {
      plan.unchanged += 1;
      continue;
    }
    plan.updates.push({
      id: record.staff.id,
      line: row.line,
      fields: row.fields,
      unitIds,
      externalIds: row.externalIds,
      changed,
    });
  }
  return plan;
}
