import assert from 'node:assert/strict';
import { runAuditVerify } from '../src/cli/audit-verify.js';
import { verifyAuditChain } from '../src/modules/audit/index.js';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';

eachDatabase('audit: hash chain, verifier, admin API', (kind) => {
  let t: TestHub;
  beforeEach(async () => {
    t = await startTestHub(kind);
    for (let i = 0; i < 3; i++) await t.makeUser();
  });
  afterEach(async () => t.close());

  const q = (sql: string) => t.hub.internals.db.manager.query(sql);
  const verify = (expectHead?: string) =>
    verifyAuditChain(t.hub.internals.db.manager, expectHead ? { expectHead } : {});
  const cli = (...extra: string[]) =>
    runAuditVerify([
      ...(kind === 'sqlite'
        ? ['--data-dir', t.dataDir]
        : ['--database-url', t.hub.config.databaseUrl!]),
      ...extra,
    ]);

  it('an untouched chain verifies: the CLI prints "ok N rows head=<hash>" and exits 0', async () => {
    const r = await verify();
    assert.equal(r.ok, true);
    const out = await cli();
    assert.equal(out.code, 0);
    assert.match(out.out, /^ok \d+ rows head=[0-9a-f]{64}$/);
    assert.ok(r.ok && out.out === `ok ${r.rows} rows head=${r.head}`);
    assert.ok(r.ok && r.rows >= 6, 'user creations and logins were audited');
  });

  it('an edited row is named', async () => {
    await q(`UPDATE audit_log SET details = '{"x":1}' WHERE seq = 3`);
    const out = await cli();
    assert.equal(out.code, 1);
    assert.match(out.out, /row 3: content does not match its hash/);
  });

  it('an edited row whose hash was recomputed breaks the link of the next row', async () => {
    const { rowHash } = await import('../src/modules/audit/index.js');
    const [row] = await q('SELECT * FROM audit_log WHERE seq = 2');
    const fields = {
      seq: 2,
      at: row.at,
      actorId: row.actor_id,
      deviceId: row.device_id,
      action: 'auth.logout',
      targetType: row.target_type,
      targetId: row.target_id,
      outcome: row.outcome,
      details: row.details,
      requestId: row.request_id,
      prevHash: row.prev_hash,
    };
    await q(
      `UPDATE audit_log SET action = 'auth.logout', hash = '${rowHash(fields)}' WHERE seq = 2`,
    );
    const r = await verify();
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.badSeq === 3 && /link/.test(r.reason));
  });

  it('a deleted row is named', async () => {
    await q('DELETE FROM audit_log WHERE seq = 2');
    const out = await cli();
    assert.equal(out.code, 1);
    assert.match(out.out, /expected row 2 but found row 3/);
  });

  it('an inserted row is detected', async () => {
    await q('UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 3');
    await q('UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1003');
    const [row] = await q('SELECT * FROM audit_log WHERE seq = 2');
    await q(
      `INSERT INTO audit_log (seq, at, actor_id, device_id, action, target_type, target_id, outcome, details, request_id, prev_hash, hash)
       VALUES (3, '${row.at}', NULL, NULL, 'auth.login', NULL, NULL, 'success', '{}', NULL, '${row.hash}', '${'a'.repeat(64)}')`,
    );
    const r = await verify();
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.badSeq === 3);
  });

  it('two swapped rows are detected', async () => {
    await q('UPDATE audit_log SET seq = -2 WHERE seq = 2');
    await q('UPDATE audit_log SET seq = 2 WHERE seq = 3');
    await q('UPDATE audit_log SET seq = 3 WHERE seq = -2');
    const r = await verify();
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.badSeq === 2);
  });

  it('a cut tail is detected with the head from an earlier run, or by the head row', async () => {
    const before = await verify();
    assert.ok(before.ok);
    const head = before.ok ? before.head : '';
    const [{ n }] = await q('SELECT MAX(seq) AS n FROM audit_log');
    await q(`DELETE FROM audit_log WHERE seq >= ${Number(n) - 1}`);
    const plain = await verify();
    assert.equal(plain.ok, false, 'the head row still records the old end');
    // An attacker who also rewrites the head row is caught by the earlier head.
    const [last] = await q('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    await q(`UPDATE audit_head SET seq = ${Number(last.seq)}, hash = '${last.hash}' WHERE id = 1`);
    assert.equal(
      (await verify()).ok,
      true,
      'without the earlier head the shorter chain looks whole',
    );
    const out = await cli('--expect-head', head);
    assert.equal(out.code, 1);
    assert.match(out.out, /expected head is not in the chain/);
  });

  it('the verifier rejects bad arguments with exit code 2', async () => {
    assert.equal((await runAuditVerify([])).code, 2);
    assert.equal((await runAuditVerify(['--data-dir', '/nonexistent/konsilium'])).code, 2);
    assert.equal((await runAuditVerify(['--database-url', 'mysql://x'])).code, 2);
    assert.equal((await runAuditVerify(['--data-dir', t.dataDir, '--expect-head', 'xyz'])).code, 2);
    assert.equal((await runAuditVerify(['--bogus'])).code, 2);
  });

  it('the admin API lists rows newest first, filtered by actor, target, action and time, with paging', async () => {
    const all = await t.api.get('/api/v1/audit?limit=500', { token: t.admin.token });
    assert.equal(all.status, 200);
    const seqs = all.body.items.map((r: any) => r.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a: number, b: number) => b - a),
    );
    const byActor = await t.api.get(`/api/v1/audit?actorId=${t.admin.id}`, {
      token: t.admin.token,
    });
    assert.ok(byActor.body.items.length > 0);
    assert.ok(byActor.body.items.every((r: any) => r.actorId === t.admin.id));
    const target = all.body.items.find((r: any) => r.targetType && r.targetId);
    const byTarget = await t.api.get(
      `/api/v1/audit?targetType=${target.targetType}&targetId=${target.targetId}`,
      { token: t.admin.token },
    );
    assert.ok(byTarget.body.items.every((r: any) => r.targetId === target.targetId));
    const page1 = await t.api.get('/api/v1/audit?limit=2', { token: t.admin.token });
    const page2 = await t.api.get(`/api/v1/audit?limit=2&before=${page1.body.nextBefore}`, {
      token: t.admin.token,
    });
    assert.equal(page2.body.items[0].seq, page1.body.items[1].seq - 1);
    const future = await t.api.get('/api/v1/audit?from=2030-01-01T00:00:00Z', {
      token: t.admin.token,
    });
    assert.equal(future.body.items.length, 0);
    const bad = await t.api.get('/api/v1/audit?from=yesterday', { token: t.admin.token });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'from');
    const unknown = await t.api.get('/api/v1/audit?colour=red', { token: t.admin.token });
    assert.equal(unknown.status, 400);
    const u = await t.makeUser();
    const denied = await t.api.get('/api/v1/audit', { token: u.token });
    assert.equal(denied.status, 403);
  });

  it('an audit row cannot be written outside a transaction, and a change fails when its audit row fails', async () => {
    await assert.rejects(
      t.hub.internals.audit.append(t.hub.internals.db.manager, { action: 'test.outside' }),
      /inside the transaction/,
    );
    const [{ n: before }] = await q('SELECT COUNT(*) AS n FROM credential');
    await assert.rejects(
      t.hub.internals.db.transaction(async (tx) => {
        await tx.query(`UPDATE credential SET password_hash = 'x'`);
        await t.hub.internals.audit.append(tx, { action: 'test.bad', details: { n: 1n } });
      }),
    );
    const rows = await q(`SELECT COUNT(*) AS n FROM credential WHERE password_hash = 'x'`);
    assert.equal(Number(rows[0].n), 0, 'the change rolled back with its audit row');
    const [{ n: after }] = await q('SELECT COUNT(*) AS n FROM credential');
    assert.equal(Number(after), Number(before));
  });
});
