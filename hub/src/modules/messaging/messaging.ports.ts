import type { Role, StaffCategory } from '@konsilium/shared';

/** What messaging needs of the directory and identity; wired in hub.ts. */
export interface MessagingPeople {
  /** Of these ids, the ones that are active staff. */
  activeIds(ids: readonly string[]): Promise<Set<string>>;
  /** Active staff matching any selector: a unit (with its sub-units), a category or a role. */
  audience(selector: {
    unitIds?: string[] | undefined;
    categories?: StaffCategory[] | undefined;
    roles?: Role[] | undefined;
  }): Promise<string[]>;
  /** Whether the user belongs to the unit or one of its sub-units. */
  inUnit(userId: string, unitId: string): Promise<boolean>;
}
