import { DateTime } from 'luxon';
import type { UnitView } from '@konsilium/shared';
import { SYSTEM } from '../platform/http/actor.js';
import type { Logger } from '../platform/log/logger.js';
import type { DirectoryService } from '../modules/directory/index.js';
import type { createRosters } from '../modules/rosters/index.js';
import { DEMO_STAFF } from './demo-data.js';

type Rosters = ReturnType<typeof createRosters>;

function byCode(units: UnitView[], code: string): UnitView | null {
  for (const u of units) {
    if (u.code === code) return u;
    const hit = byCode(u.children, code);
    if (hit) return hit;
  }
  return null;
}

/**
 * Demo duty roles with published «сутки через трое» rotations from a week ago
 * to two months ahead: the responsible doctor on duty, the cardiologist on
 * duty (falls back to the responsible doctor) and the anaesthetist on duty.
 */
export async function loadDemoRosters(deps: {
  rosters: Rosters;
  directory: DirectoryService;
  log: Logger;
  now: Date;
}): Promise<void> {
  const units = await deps.directory.units();
  const ids = new Map<string, string>();
  for (const s of DEMO_STAFF) {
    const found = await deps.directory.searchUsers({ q: s.lastName, limit: 50, offset: 0 });
    const hit = found.items.find((u) => u.login === s.login);
    if (hit) ids.set(s.login, hit.id);
  }
  const physiciansOf = (codes: string[]) =>
    DEMO_STAFF.filter(
      (s) => s.category === 'physician' && s.units.some((u) => codes.some((c) => u.startsWith(c))),
    )
      .map((s) => ids.get(s.login))
      .filter((id): id is string => !!id);
  const r = deps.rosters.internals;
  const plan: {
    name: string;
    unit: string;
    people: string[];
    fallbackTo?: string;
    notes?: string;
  }[] = [
    { name: 'Ответственный дежурный врач', unit: 'adm', people: physiciansOf(['adm', 'er']) },
    {
      name: 'Дежурный кардиолог (корпус 1)',
      unit: 'card',
      people: physiciansOf(['card']),
      fallbackTo: 'Ответственный дежурный врач',
      notes: 'После 22:00 — через ПРИТ кардиологии',
    },
    {
      name: 'Дежурный анестезиолог-реаниматолог',
      unit: 'icu',
      people: physiciansOf(['icu']),
      fallbackTo: 'Ответственный дежурный врач',
    },
  ];
  const made = new Map<string, string>();
  const zoneNow = DateTime.fromJSDate(deps.now);
  for (const p of plan) {
    const unit = byCode(units, p.unit);
    if (!unit || p.people.length === 0) continue;
    const fallbackId = p.fallbackTo ? made.get(p.fallbackTo) : undefined;
    const role = await r.roles.create(SYSTEM, {
      name: p.name,
      unitId: unit.id,
      ...(fallbackId ? { fallback: { kind: 'role' as const, id: fallbackId } } : {}),
      ...(p.notes ? { notes: p.notes } : {}),
    });
    made.set(p.name, role.id);
    const cycle = p.people.slice(0, 4);
    while (cycle.length < 4) cycle.push(cycle[cycle.length % p.people.length]!);
    const today = zoneNow.setZone(unit.timeZone);
    const pattern = await r.patterns.create(SYSTEM, {
      roleId: role.id,
      name: 'Сутки через трое',
      kind: 'cycle',
      anchorDate: today.minus({ days: 7 }).toISODate()!,
      startTime: '08:00',
      hours: 24,
      cycle,
    });
    await r.patterns.expand(SYSTEM, pattern.id, {
      from: today.minus({ days: 7 }).toISODate()!,
      to: today.plus({ days: 60 }).toISODate()!,
      publish: true,
    });
  }
  deps.log.info({ roles: made.size }, 'demo rosters loaded');
}
