import assert from 'node:assert/strict';
import { AuditRowEntity } from '../../src/modules/audit/index.js';
import { SYSTEM } from '../../src/platform/http/actor.js';
import { makeOrgAndSite } from '../support/factories.js';
import type { TestHub } from '../support/hub.js';

/** A coordinator, two clinicians and a department in `zone`, ready for rosters. */
export async function rosterWorld(t: TestHub, zone = 'Europe/Moscow') {
  const { site } = await makeOrgAndSite(t);
  const unit = await t.hub.internals.directory.createUnit(SYSTEM, {
    kind: 'department',
    name: 'Кардиология',
    parentId: site.id,
    timeZone: zone,
  });
  const coordinator = await t.makeUser({ lastName: 'Координаторова', roles: ['coordinator'] });
  const ivanov = await t.makeUser({
    lastName: 'Иванов',
    firstName: 'Иван',
    middleName: 'Сергеевич',
  });
  const petrov = await t.makeUser({ lastName: 'Петров', firstName: 'Пётр' });
  const sidorov = await t.makeUser({ lastName: 'Сидоров', firstName: 'Семён' });
  return { unit, coordinator, ivanov, petrov, sidorov };
}

/** Creates a duty role through the API (as the coordinator). */
export async function makeRole(
  t: TestHub,
  token: string,
  body: Record<string, unknown>,
): Promise<{ id: string; timeZone: string }> {
  const r = await t.api.post('/api/v1/rosters/roles', body, { token });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body as { id: string; timeZone: string };
}

/** Creates a shift through the API (published unless `draft`). */
export async function makeShift(
  t: TestHub,
  token: string,
  body: { roleId: string; userId: string; start: string; end: string; draft?: boolean },
): Promise<{ id: string; kind: string; start: string; end: string; state: string }> {
  const r = await t.api.post('/api/v1/rosters/shifts', body, { token });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body as { id: string; kind: string; start: string; end: string; state: string };
}

type Shift = Awaited<ReturnType<typeof makeShift>>;

/** Creates published shifts of one role, in order: `[userId, start, end]` each; returns them in that order. */
export async function makeShifts<const S extends readonly (readonly [string, string, string])[]>(
  t: TestHub,
  token: string,
  roleId: string,
  shifts: S,
): Promise<{ -readonly [K in keyof S]: Shift }> {
  const made: Shift[] = [];
  for (const [userId, start, end] of shifts)
    made.push(await makeShift(t, token, { roleId, userId, start, end }));
  return made as { -readonly [K in keyof S]: Shift };
}

/** One person's presence as `GET /api/v1/presence` answers it. */
export type Presence = {
  userId: string;
  status: string;
  source: string;
  until: string | null;
  duties: { roleId: string; roleName: string; until: string }[];
};

/** `GET /api/v1/presence` for `ids` as `token`. */
export async function presenceOf(t: TestHub, token: string, ids: string[]): Promise<Presence[]> {
  const r = await t.api.get(`/api/v1/presence?userIds=${ids.join(',')}`, { token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items as Presence[];
}

/** `GET /api/v1/oncall` as `token`. */
export async function onCall(t: TestHub, token: string, roleId: string, at?: string) {
  const q = new URLSearchParams({ roleId, ...(at ? { at } : {}) });
  const r = await t.api.get(`/api/v1/oncall?${q.toString()}`, { token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as {
    people: {
      id: string;
      fullName: string;
      via: string;
      shiftId: string | null;
      until: string | null;
    }[];
    source: string;
    chain: string[];
    reason?: string;
  };
}

/** Every audit row with this action, oldest first. */
export async function auditActions(t: TestHub, action: string) {
  const rows = await t.hub.internals.db.manager.find(AuditRowEntity, {
    where: { action },
    order: { seq: 'ASC' },
  });
  return rows.map((r) => ({
    actorId: r.actorId,
    targetId: r.targetId,
    details: JSON.parse(r.details) as Record<string, unknown>,
  }));
}
