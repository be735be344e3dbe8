import type { UnitView } from '@konsilium/shared';
import { SYSTEM } from '../../src/platform/http/actor.js';
import type { TestHub } from './hub.js';

/** An organization (Europe/Moscow) with one site, created through the directory service. */
export async function makeOrgAndSite(
  t: TestHub,
  names: { org?: string; site?: string } = {},
): Promise<{ org: UnitView; site: UnitView }> {
  const dir = t.hub.internals.directory;
  const org = await dir.createUnit(SYSTEM, {
    kind: 'organization',
    name: names.org ?? 'Клиника',
    timeZone: 'Europe/Moscow',
  });
  const site = await dir.createUnit(SYSTEM, {
    kind: 'site',
    name: names.site ?? 'Корпус А',
    parentId: org.id,
  });
  return { org, site };
}
