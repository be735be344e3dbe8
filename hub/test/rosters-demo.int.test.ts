import assert from 'node:assert/strict';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';

eachDatabase('rosters: demo hospital', (kind) => {
  let t: TestHub;
  beforeEach(async () => (t = await startTestHub(kind, { demo: true })));
  afterEach(async () => t.close());

  it('has duty roles with published rotations, so someone is on call now', async () => {
    const roles = await t.api.get('/api/v1/rosters/roles', { token: t.admin.token });
    assert.equal(roles.status, 200);
    const names = (roles.body.items as { name: string }[]).map((r) => r.name).sort();
    assert.deepEqual(names, [
      'Дежурный анестезиолог-реаниматолог',
      'Дежурный кардиолог (корпус 1)',
      'Ответственный дежурный врач',
    ]);
    for (const role of roles.body.items as { id: string; name: string }[]) {
      const r = await t.api.get(`/api/v1/oncall?roleId=${role.id}`, { token: t.admin.token });
      assert.equal(r.status, 200);
      assert.equal(r.body.source, 'shift', role.name);
      assert.equal(r.body.people.length, 1);
      assert.ok(r.body.people[0].fullName.length > 5);
    }
  });
});
