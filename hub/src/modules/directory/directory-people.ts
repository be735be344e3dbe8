import { In } from 'typeorm';
import type { StaffCategory } from '@konsilium/shared';
import { BatchRead } from '../../platform/batch-read.js';
import type { Database } from '../../platform/db/database.js';
import {
  OrgUnitEntity,
  StaffEntity,
  StaffExternalIdEntity,
  StaffUnitEntity,
} from './directory.entity.js';
import { subtreeIds } from './directory-units.service.js';

/** Lookups other modules need about people: who is active, who is in a unit, who matches a selector. */
export class People {
  constructor(private readonly db: Database) {}

  /** Whether each staff id is active; concurrent callers share one read. */
  private readonly activity = new BatchRead<string, boolean>(async (ids) => {
    const rows = await this.db.manager.find(StaffEntity, {
      select: { id: true, active: true },
      where: { id: In(ids) },
    });
    return new Map(rows.map((r) => [r.id, Boolean(r.active)]));
  });

  /**
   * Holders of external identifiers keyed `system \u0000 value` (empty system:
   * the value in any system); concurrent callers share one read, each pair
   * looked up by the (system, value) key.
   */
  private readonly holders = new BatchRead<string, string[]>(async (keys) => {
    const pairs = keys.map((k) => {
      const cut = k.indexOf('\u0000');
      return { system: k.slice(0, cut), value: k.slice(cut + 1) };
    });
    const rows = await this.db.manager.find(StaffExternalIdEntity, {
      where: pairs.map((p) =>
        p.system ? { system: p.system, value: p.value } : { value: p.value },
      ),
    });
    const out = new Map<string, string[]>();
    for (const p of pairs) {
      const ids = rows
        .filter((r) => r.value === p.value && (!p.system || r.system === p.system))
        .map((r) => r.userId);
      if (ids.length) out.set(`${p.system}\u0000${p.value}`, ids);
    }
    return out;
  }, 100);

  /** Of these ids, the active staff. */
  async activeIds(ids: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const [id, active] of await this.activity.getMany(ids)) if (active) out.add(id);
    return out;
  }

  private async subtrees(unitIds: readonly string[]): Promise<string[]> {
    const units = await this.db.manager.find(OrgUnitEntity);
    const all = new Set<string>();
    for (const u of unitIds) for (const id of subtreeIds(units, u)) all.add(id);
    return [...all];
  }

  /** Active staff in any of these units (with sub-units) or of any of these categories. */
  async matching(selector: {
    unitIds?: string[];
    categories?: StaffCategory[];
  }): Promise<string[]> {
    const out = new Set<string>();
    if (selector.unitIds?.length) {
      const units = await this.subtrees(selector.unitIds);
      if (units.length) {
        const links = await this.db.manager.findBy(StaffUnitEntity, { unitId: In(units) });
        for (const id of await this.activeIds(links.map((l) => l.userId))) out.add(id);
      }
    }
    if (selector.categories?.length) {
      const rows = await this.db.manager.find(StaffEntity, {
        select: { id: true },
        where: { category: In(selector.categories), active: true },
      });
      for (const r of rows) out.add(r.id);
    }
    return [...out];
  }

  /** Whether the user belongs to the unit or one of its sub-units. */
  async inUnit(userId: string, unitId: string): Promise<boolean> {
    const units = await this.subtrees([unitId]);
    if (units.length === 0) return false;
    return (await this.db.manager.countBy(StaffUnitEntity, { userId, unitId: In(units) })) > 0;
  }

  /**
   * Active staff holding an external identifier (an MIS practitioner id, for
   * routing results to the ordering clinician): the exact (system, value)
   * pair; with no system, the value in any system.
   */
  async byExternalId(system: string, value: string): Promise<string[]> {
    const holders = (await this.holders.get(`${system}\u0000${value}`)) ?? [];
    if (holders.length === 0) return [];
    const active = await this.activeIds(holders);
    return [...active];
  }
}
