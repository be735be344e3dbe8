import assert from 'node:assert/strict';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';

for (const engine of ['memory', 'sql'] as const) {
  eachDatabase(`directory search with directorySearch=${engine}`, (kind) => {
    let t: TestHub;
    beforeEach(async () => (t = await startTestHub(kind, { directorySearch: engine })));
    afterEach(async () => t.close());

    it('finds a new, an edited and not a deactivated person right after each write', async () => {
      const u = await t.makeUser({
        lastName: 'Ёжиков',
        firstName: 'Глеб',
        position: 'Врач-кардиолог',
      });
      const find = async (q: string) =>
        (
          await t.api.get(`/api/v1/directory/users?q=${encodeURIComponent(q)}`, {
            token: t.admin.token,
          })
        ).body;
      assert.deepEqual(
        (await find('ежик кард')).items.map((i: any) => i.id),
        [u.id],
      );
      await t.api.patch(
        `/api/v1/directory/users/${u.id}`,
        { position: 'Хирург' },
        { token: t.admin.token },
      );
      assert.equal((await find('ежик кард')).total, 0);
      assert.equal((await find('ежик хир')).total, 1);
      await t.api.post(`/api/v1/directory/users/${u.id}/deactivate`, undefined, {
        token: t.admin.token,
      });
      assert.equal((await find('ежик')).total, 0);
    });
  });
}
