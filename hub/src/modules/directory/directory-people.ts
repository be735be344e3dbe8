import { In } from 'typeorm';
import type { StaffCategory } from '@konsilium/shared';
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

  /** Of these ids, the active staff. */
  async activeIds(ids: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await this.db.manager.find(StaffEntity, {
        select: { id: true, active: true },
        where: { id: In(unique.slice(i, i + 500)) },
      });
      for (const r of rows) if (r.active) out.add(r.id);
    }
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
    const rows = await this.db.manager.find(StaffExternalIdEntity, {
      where: system ? { system, value } : { value },
    });
    if (rows.length === 0) return [];
    const active = await this.activeIds(rows.map((r) => r.userId));
    return [...active];
  }
}
