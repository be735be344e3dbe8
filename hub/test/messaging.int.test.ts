import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';
import { png } from './support/files-fixtures.js';
import { makeOrgAndSite } from './support/factories.js';
import { SYSTEM } from '../src/platform/http/actor.js';

type U = { id: string; token: string };

eachDatabase('messaging over REST', (kind) => {
  let t: TestHub;
  before(async () => (t = await startTestHub(kind)));
  after(async () => t.close());

  const post = (u: U, path: string, body?: unknown) => t.api.post(path, body, { token: u.token });
  const get = (u: U, path: string) => t.api.get(path, { token: u.token });
  const send = (u: U, conversationId: string, body: Record<string, unknown>) =>
    post(u, `/api/v1/conversations/${conversationId}/messages`, { id: randomUUID(), ...body });
  const group = async (owner: U, members: U[], extra: Record<string, unknown> = {}) => {
    const r = await post(owner, '/api/v1/conversations', {
      kind: 'group',
      title: 'Консилиум',
      memberIds: members.map((m) => m.id),
      ...extra,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const count = async (sql: string) => Number((await t.hub.internals.db.manager.query(sql))[0].n);
  const audit = async (action: string) =>
    (await t.api.get(`/api/v1/audit?action=${action}&limit=500`, { token: t.admin.token })).body
      .items as any[];

  it('a direct conversation is unique per pair: the second create answers 200 with the same one', async () => {
    const a = await t.makeUser();
    const b = await t.makeUser();
    const first = await post(a, '/api/v1/conversations', { kind: 'direct', memberIds: [b.id] });
    assert.equal(first.status, 201);
    const again = await post(b, '/api/v1/conversations', { kind: 'direct', memberIds: [a.id] });
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    assert.deepEqual(first.body.members.map((m: any) => m.userId).sort(), [a.id, b.id].sort());
    const three = await post(a, '/api/v1/conversations', {
      kind: 'direct',
      memberIds: [b.id, t.admin.id],
    });
    assert.equal(three.status, 400);
    assert.equal(three.body.error.code, 'messaging.invalid_members');
  });

  it('resending the same message id returns the stored message and creates nothing', async () => {
    const a = await t.makeUser();
    const b = await t.makeUser();
    const c = await group(a, [b]);
    const id = randomUUID();
    const first = await post(a, `/api/v1/conversations/${c}/messages`, {
      id,
      text: 'Жду на обходе',
      priority: 'urgent',
    });
    assert.equal(first.status, 201);
    assert.equal(first.body.id, id);
    assert.ok(first.body.seq > 0);
    const again = await post(a, `/api/v1/conversations/${c}/messages`, {
      id,
      text: 'Жду на обходе',
      priority: 'urgent',
    });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body);
    assert.equal(await count(`SELECT COUNT(*) AS n FROM message WHERE id = '${id}'`), 1);
    assert.equal(await count(`SELECT COUNT(*) AS n FROM audit_log WHERE target_id = '${id}'`), 1);
    const stolen = await post(b, `/api/v1/conversations/${c}/messages`, { id, text: 'другое' });
    assert.equal(stolen.status, 409);
    assert.equal(stolen.body.error.code, 'messaging.id_conflict');
  });

  it('receipts among three users: delivered and read per recipient, "read by 1 of 2"', async () => {
    const [a, b, c] = [await t.makeUser(), await t.makeUser(), await t.makeUser()];
    const conv = await group(a, [b, c]);
    const m = (await send(a, conv, { text: 'Анализы готовы' })).body;
    assert.equal((await post(b, `/api/v1/messages/${m.id}/delivered`)).status, 200);
    const read = await post(c, `/api/v1/messages/${m.id}/read`);
    assert.equal(read.body.readSeq, m.seq);
    const view = (await get(a, `/api/v1/messages/${m.id}`)).body;
    assert.equal(view.receipts.total, 2);
    assert.equal(view.receipts.delivered, 2, 'read implies delivered');
    assert.equal(view.receipts.read, 1);
    const byUser = Object.fromEntries(view.receipts.members.map((r: any) => [r.userId, r]));
    assert.ok(byUser[b.id].deliveredAt && !byUser[b.id].readAt);
    assert.ok(byUser[c.id].readAt);
    const history = (await get(a, `/api/v1/conversations/${conv}/messages`)).body;
    assert.equal(history.items.at(-1).receipts.read, 1);
    const older = (await send(a, conv, { text: 'ещё' })).body;
    await post(c, `/api/v1/messages/${m.id}/read`);
    const stillUnread = (await get(a, `/api/v1/messages/${older.id}`)).body;
    assert.equal(stillUnread.receipts.read, 0, 'a watermark never moves back');
  });

  it('typed acknowledgements: each recipient once, the first acceptor shown to all, decline does not accept', async () => {
    const [a, b, c] = [await t.makeUser(), await t.makeUser(), await t.makeUser()];
    const conv = await group(a, [b, c]);
    const order = (
      await send(a, conv, { text: 'Перевести в ОРИТ', kind: 'order', priority: 'critical' })
    ).body;
    assert.equal(order.kind, 'order');
    assert.equal(
      (await post(b, `/api/v1/messages/${order.id}/ack`, { response: 'decline' })).status,
      200,
    );
    const bad = await post(c, `/api/v1/messages/${order.id}/ack`, { response: 'call_back' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'minutes');
    const cb = await post(c, `/api/v1/messages/${order.id}/ack`, {
      response: 'call_back',
      minutes: 10,
    });
    const cView = (await get(a, `/api/v1/messages/${order.id}`)).body.receipts.members.find(
      (r: any) => r.userId === c.id,
    );
    assert.ok(cView.readAt && cView.deliveredAt, 'an acknowledgement reads and delivers');
    assert.equal(cb.body.firstAcceptor.userId, c.id);
    await post(b, `/api/v1/messages/${order.id}/ack`, { response: 'coming' });
    const seen = (await get(b, `/api/v1/messages/${order.id}`)).body;
    assert.equal(seen.firstAcceptor.userId, c.id, 'the first acceptor stays the first');
    assert.deepEqual(
      seen.acks.map((x: any) => [x.userId, x.response, x.minutes]).sort(),
      [
        [b.id, 'coming', null],
        [c.id, 'call_back', 10],
      ].sort(),
    );
    const own = await post(a, `/api/v1/messages/${order.id}/ack`, {});
    assert.equal(own.status, 403);
    assert.equal(
      (await audit('messaging.message.ack')).filter((r) => r.targetId === order.id).length,
      3,
    );
  });

  it('edit and recall: recipients see the new state; the original is kept and its digest audited', async () => {
    const [a, b] = [await t.makeUser(), await t.makeUser()];
    const conv = await group(a, [b]);
    const m = (await send(a, conv, { text: 'Калий 6.8' })).body;
    const notMine = await t.api.patch(
      `/api/v1/messages/${m.id}`,
      { text: 'x' },
      { token: b.token },
    );
    assert.equal(notMine.status, 403);
    const edited = await t.api.patch(
      `/api/v1/messages/${m.id}`,
      { text: 'Калий 5.8' },
      { token: a.token },
    );
    assert.equal(edited.body.text, 'Калий 5.8');
    assert.ok(edited.body.editedAt);
    assert.equal((await get(b, `/api/v1/messages/${m.id}`)).body.text, 'Калий 5.8');
    const recalled = await t.api.delete(`/api/v1/messages/${m.id}`, { token: a.token });
    assert.ok(recalled.body.recalledAt);
    assert.equal((await get(b, `/api/v1/messages/${m.id}`)).body.text, '');
    const revs = await t.hub.internals.db.manager.query(
      `SELECT rev, change, text FROM message_revision WHERE message_id = '${m.id}' ORDER BY rev`,
    );
    assert.deepEqual(
      revs.map((r: any) => [Number(r.rev), r.change, r.text]),
      [
        [1, 'edit', 'Калий 6.8'],
        [2, 'recall', 'Калий 5.8'],
      ],
    );
    const [edit] = (await audit('messaging.message.edit')).filter((r) => r.targetId === m.id);
    assert.equal(
      edit.details.previousSha256,
      createHash('sha256').update('Калий 6.8').digest('hex'),
    );
    assert.ok(!JSON.stringify(edit).includes('Калий'), 'no message text in the audit log');
    const again = await t.api.patch(`/api/v1/messages/${m.id}`, { text: 'y' }, { token: a.token });
    assert.equal(again.body.error.code, 'messaging.recalled');
  });

  it('a non-member can neither read, send, acknowledge nor search a conversation', async () => {
    const [a, b, outsider] = [await t.makeUser(), await t.makeUser(), await t.makeUser()];
    const conv = await group(a, [b], {
      patient: { system: 'urn:mis:mrn', value: '12345', label: 'Пациент П.' },
    });
    const m = (await send(a, conv, { text: 'Секретный тропонин' })).body;
    for (const res of [
      await get(outsider, `/api/v1/conversations/${conv}/messages`),
      await send(outsider, conv, { text: 'hi' }),
      await get(outsider, `/api/v1/messages/${m.id}`),
      await post(outsider, `/api/v1/messages/${m.id}/ack`, {}),
      await post(outsider, `/api/v1/messages/${m.id}/read`),
    ]) {
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, 'messaging.not_member');
    }
    assert.equal((await get(outsider, '/api/v1/messages/search?q=тропон')).body.items.length, 0);
    assert.equal((await get(b, '/api/v1/messages/search?q=тропон')).body.items.length, 1);
    const mine = (await get(outsider, '/api/v1/conversations')).body.items;
    assert.ok(!mine.some((c: any) => c.id === conv));
    const listed = (await get(b, '/api/v1/conversations')).body.items.find(
      (c: any) => c.id === conv,
    );
    assert.deepEqual(listed.patient, {
      system: 'urn:mis:mrn',
      value: '12345',
      label: 'Пациент П.',
    });
  });

  it('invite, leave and remove are audited and appear in the conversation as system events', async () => {
    const [a, b, c] = [await t.makeUser(), await t.makeUser(), await t.makeUser()];
    const conv = await group(a, [b]);
    assert.equal(
      (await post(b, `/api/v1/conversations/${conv}/members`, { userIds: [c.id] })).status,
      200,
    );
    await send(c, conv, { text: 'Подключилась' });
    assert.equal((await post(c, `/api/v1/conversations/${conv}/leave`)).status, 200);
    assert.equal((await send(c, conv, { text: 'ещё тут?' })).status, 403);
    const notAdmin = await t.api.delete(`/api/v1/conversations/${conv}/members/${a.id}`, {
      token: b.token,
    });
    assert.equal(notAdmin.status, 403);
    assert.equal(
      (await t.api.delete(`/api/v1/conversations/${conv}/members/${b.id}`, { token: a.token }))
        .status,
      200,
    );
    const items = (await get(a, `/api/v1/conversations/${conv}/messages`)).body.items;
    assert.deepEqual(
      items.filter((i: any) => i.system).map((i: any) => i.system.action),
      ['invited', 'left', 'removed'],
    );
    assert.equal((await get(b, `/api/v1/conversations/${conv}/messages`)).status, 403);
    for (const action of [
      'messaging.member.invite',
      'messaging.member.leave',
      'messaging.member.remove',
    ]) {
      assert.ok(
        (await audit(action)).some((r) => r.targetId === conv),
        action,
      );
    }
  });

  it('a broadcast reaches its audience, who may acknowledge but not reply; only permitted senders create one', async () => {
    const coordinator = await t.makeUser({ roles: ['coordinator'] });
    const nurse = await t.makeUser({ category: 'nurse' });
    const clinician = await t.makeUser({ category: 'physician' });
    const denied = await post(clinician, '/api/v1/conversations', {
      kind: 'broadcast',
      title: 'x',
      audience: { categories: ['nurse'] },
    });
    assert.equal(denied.status, 403);
    const b = await post(coordinator, '/api/v1/conversations', {
      kind: 'broadcast',
      title: 'Код синий',
      audience: { categories: ['nurse'] },
    });
    assert.equal(b.status, 201, JSON.stringify(b.body));
    const ids = b.body.members.map((m: any) => m.userId);
    assert.ok(ids.includes(nurse.id));
    assert.ok(!ids.includes(clinician.id));
    const alert = (
      await send(coordinator, b.body.id, { text: 'Всем в приёмное', priority: 'critical' })
    ).body;
    const reply = await send(nurse, b.body.id, { text: 'иду' });
    assert.equal(reply.status, 403);
    assert.equal(reply.body.error.code, 'messaging.not_allowed');
    assert.equal(
      (await post(nurse, `/api/v1/messages/${alert.id}/ack`, { response: 'coming' })).status,
      200,
    );
  });

  it('history pages backwards with a cursor; unread counts follow the read watermark', async () => {
    const [a, b] = [await t.makeUser(), await t.makeUser()];
    const conv = await group(a, [b]);
    const sent: any[] = [];
    for (let i = 0; i < 55; i++) sent.push((await send(a, conv, { text: `сообщение ${i}` })).body);
    const page1 = (await get(b, `/api/v1/conversations/${conv}/messages?limit=50`)).body;
    assert.equal(page1.items.length, 50);
    assert.equal(page1.items.at(-1).id, sent[54].id);
    const seqs = page1.items.map((i: any) => i.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((x: number, y: number) => x - y),
    );
    const page2 = (
      await get(b, `/api/v1/conversations/${conv}/messages?limit=50&before=${page1.next}`)
    ).body;
    assert.equal(page2.next, undefined);
    const texts = [...page2.items, ...page1.items]
      .filter((i: any) => !i.system)
      .map((i: any) => i.text);
    assert.deepEqual(
      texts,
      sent.map((s) => s.text),
    );
    const unread = async () =>
      (await get(b, '/api/v1/conversations')).body.items.find((c: any) => c.id === conv).unread;
    assert.equal(await unread(), 55);
    await post(b, `/api/v1/messages/${sent[49].id}/read`);
    assert.equal(await unread(), 5);
    const bad = await get(b, `/api/v1/conversations/${conv}/messages?limit=0`);
    assert.equal(bad.status, 400);
  });

  it('a forward keeps the original author, time and source conversation', async () => {
    const [a, b, c] = [await t.makeUser(), await t.makeUser(), await t.makeUser()];
    const src = await group(a, [b]);
    const original = (await send(a, src, { text: 'ЭКГ: ST-элевация' })).body;
    const dst = await group(b, [c]);
    const fwd = await send(b, dst, { text: '', forward: { messageId: original.id } });
    assert.equal(fwd.status, 201);
    assert.equal(fwd.body.text, 'ЭКГ: ST-элевация');
    assert.deepEqual(fwd.body.forwardedFrom, {
      messageId: original.id,
      authorId: a.id,
      createdAt: original.createdAt,
      conversationId: src,
    });
    const cannot = await send(c, dst, { text: '', forward: { messageId: original.id } });
    assert.equal(cannot.status, 404, 'c cannot read the source');
  });

  it('search is Cyrillic-aware: case and ё/е folded, every word a prefix', async () => {
    const [a, b] = [await t.makeUser(), await t.makeUser()];
    const conv = await group(a, [b]);
    await send(a, conv, { text: 'Пациентка Ёлкина: тропонин 2.1, вызвать кардиолога' });
    await send(a, conv, { text: 'Пациент Елкин выписан' });
    const find = async (q: string) =>
      (
        await get(b, `/api/v1/messages/search?q=${encodeURIComponent(q)}&conversationId=${conv}`)
      ).body.items.map((i: any) => i.text);
    assert.equal((await find('елкин троп')).length, 1);
    assert.equal((await find('ЁЛК')).length, 2);
    assert.equal((await find('ропонин')).length, 0, 'a word prefix, not a substring');
    assert.equal((await get(b, '/api/v1/messages/search')).status, 400);
  });

  it('quick replies are per user: create, list, delete; bad input changes nothing', async () => {
    const [a, b] = [await t.makeUser(), await t.makeUser()];
    const created = await post(a, '/api/v1/quick-replies', { text: 'Принял, иду' });
    assert.equal(created.status, 201);
    assert.equal((await get(a, '/api/v1/quick-replies')).body.items.length, 1);
    assert.equal((await get(b, '/api/v1/quick-replies')).body.items.length, 0);
    assert.equal(
      (await t.api.delete(`/api/v1/quick-replies/${created.body.id}`, { token: b.token })).status,
      404,
    );
    assert.equal((await post(a, '/api/v1/quick-replies', { text: '' })).status, 400);
    assert.equal((await post(a, '/api/v1/quick-replies', { text: 'x'.repeat(1001) })).status, 400);
    assert.equal(
      (await t.api.delete(`/api/v1/quick-replies/${created.body.id}`, { token: a.token })).status,
      204,
    );
    assert.equal((await get(a, '/api/v1/quick-replies')).body.items.length, 0);
  });

  it('attachments: uploaded, attached once to a message, listed in history and served to members only', async () => {
    const [a, b, outsider] = [await t.makeUser(), await t.makeUser(), await t.makeUser()];
    const conv = await group(a, [b]);
    const upload = (name: string, bytes: Buffer) =>
      t.api.request('POST', `/api/v1/conversations/${conv}/attachments?name=${name}`, {
        token: a.token,
        rawBody: bytes,
        headers: { 'content-type': 'application/octet-stream' },
      });
    const up = await upload('ecg.png', png('ECG-MARKER'));
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const m = await send(a, conv, { text: '', attachmentIds: [up.body.id] });
    assert.equal(m.status, 201, JSON.stringify(m.body));
    assert.deepEqual(
      m.body.attachments.map((x: any) => [x.id, x.contentType]),
      [[up.body.id, 'image/png']],
    );
    const rows = await t.hub.internals.db.manager.query(
      `SELECT message_id FROM attachment WHERE id = '${up.body.id}'`,
    );
    assert.equal(rows[0].message_id, m.body.id, 'claimed by the message');
    // Two sends racing for one upload in the same batch: one wins, the loser's
    // writes are undone by its savepoint, and the rest of the batch commits.
    const up2 = await upload('b.png', png('RACE'));
    const before = await count('SELECT COUNT(*) AS n FROM message');
    const race = await Promise.all([
      send(a, conv, { text: 'первый', attachmentIds: [up2.body.id] }),
      send(a, conv, { text: 'второй', attachmentIds: [up2.body.id] }),
      send(b, conv, { text: 'соседнее сообщение' }),
    ]);
    assert.deepEqual(race.map((r) => r.status).sort(), [201, 201, 404]);
    assert.equal(await count('SELECT COUNT(*) AS n FROM message'), before + 2);
    const loser = race.find((r) => r.status === 404)!;
    assert.equal(loser.body.error.code, 'files.not_found');
    const verify = await import('../src/modules/audit/index.js');
    const chain = await verify.verifyAuditChain(t.hub.internals.db.manager);
    assert.equal(chain.ok, true, 'the audit chain stays whole across a rolled-back unit');
    const again = await send(a, conv, { text: 'ещё раз', attachmentIds: [up.body.id] });
    assert.equal(again.status, 404, 'an upload is attached once');
    assert.equal(again.body.error.field, 'attachmentIds.0');
    const hist = (await get(b, `/api/v1/conversations/${conv}/messages`)).body.items;
    assert.equal(hist.find((i: any) => i.id === m.body.id).attachments[0].name, 'ecg.png');
    const dl = await fetch(`${t.hub.url()}/api/v1/attachments/${up.body.id}`, {
      headers: { authorization: `Bearer ${b.token}` },
    });
    assert.equal(dl.status, 200);
    assert.ok(Buffer.from(await dl.arrayBuffer()).equals(png('ECG-MARKER')));
    const denied = await fetch(`${t.hub.url()}/api/v1/attachments/${up.body.id}`, {
      headers: { authorization: `Bearer ${outsider.token}` },
    });
    assert.equal(denied.status, 403);
  });

  it('a unit channel can be joined by members of that unit (and its sub-units) only', async () => {
    const { site } = await makeOrgAndSite(t, { org: `Клиника ${randomUUID().slice(0, 8)}` });
    const dept = await t.hub.internals.directory.createUnit(SYSTEM, {
      kind: 'department',
      name: 'Кардиология',
      parentId: site.id,
    });
    const ward = await t.hub.internals.directory.createUnit(SYSTEM, {
      kind: 'unit',
      name: 'ПРИТ',
      parentId: dept.id,
    });
    const owner = await t.makeUser({ unitIds: [dept.id] });
    const wardNurse = await t.makeUser({ unitIds: [ward.id], category: 'nurse' });
    const stranger = await t.makeUser();
    const ch = await post(owner, '/api/v1/conversations', {
      kind: 'channel',
      title: 'Кардиология: дежурство',
      unitId: dept.id,
    });
    assert.equal(ch.status, 201);
    const joined = await post(wardNurse, `/api/v1/conversations/${ch.body.id}/join`);
    assert.equal(joined.status, 200);
    assert.ok(joined.body.members.some((m: any) => m.userId === wardNurse.id));
    const refused = await post(stranger, `/api/v1/conversations/${ch.body.id}/join`);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'messaging.not_allowed');
    assert.equal((await send(wardNurse, ch.body.id, { text: 'На смене' })).status, 201);
  });

  it('bad message bodies get clear errors and store nothing', async () => {
    const [a, b] = [await t.makeUser(), await t.makeUser()];
    const conv = await group(a, [b]);
    const before = await count('SELECT COUNT(*) AS n FROM message');
    const cases: [unknown, number, string, string?][] = [
      [{ id: 'not-a-uuid', text: 'x' }, 400, 'validation.invalid', 'id'],
      [{ id: randomUUID(), text: 'x', priority: 'asap' }, 400, 'validation.invalid', 'priority'],
      [{ id: randomUUID(), text: 'x', kind: 'decree' }, 400, 'validation.invalid', 'kind'],
      [{ id: randomUUID(), text: 'x', colour: 'red' }, 400, 'validation.invalid', 'colour'],
      [{ id: randomUUID(), text: '   ' }, 400, 'messaging.empty_message', 'text'],
      [{ id: randomUUID(), text: 'я'.repeat(9000) }, 413, 'messaging.text_too_long', 'text'],
      [
        { id: randomUUID(), text: 'x', replyTo: randomUUID() },
        404,
        'messaging.message_not_found',
        'replyTo',
      ],
    ];
    for (const [body, status, code, field] of cases) {
      const res = await post(a, `/api/v1/conversations/${conv}/messages`, body);
      assert.equal(res.status, status, JSON.stringify(body).slice(0, 80));
      assert.equal(res.body.error.code, code);
      if (field) assert.equal(res.body.error.field, field);
    }
    const nowhere = await send(a, randomUUID(), { text: 'x' });
    assert.equal(nowhere.status, 404);
    assert.equal(nowhere.body.error.code, 'messaging.conversation_not_found');
    const badConv = await post(a, '/api/v1/conversations', {
      kind: 'group',
      memberIds: [randomUUID()],
    });
    assert.equal(badConv.status, 400);
    assert.equal(badConv.body.error.field, 'memberIds.0');
    assert.equal(await count('SELECT COUNT(*) AS n FROM message'), before);
  });
});
