import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { HubClient } from '@konsilium/shared';
import { createHub } from '../src/hub.js';
import { eachDatabase } from './support/databases.js';
import { startTestHub, TEST_PASSWORD, type TestHub } from './support/hub.js';
import { TestSocket } from './support/ws.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

eachDatabase('messaging over WebSocket', (kind) => {
  let t: TestHub;
  beforeEach(async () => (t = await startTestHub(kind, { wsHeartbeatSeconds: 60 })));
  afterEach(async () => t.close());

  const group = async (owner: { token: string }, memberIds: string[]) => {
    const r = await t.api.post(
      '/api/v1/conversations',
      { kind: 'group', title: 'Обход', memberIds },
      { token: owner.token },
    );
    assert.equal(r.status, 201);
    return r.body.id as string;
  };
  const messagesOf = (s: TestSocket) =>
    s.events().filter((f) => f.event === 'message.created' && !f.data.system);

  it('message.send answers with the stored message; members get message.created, a non-member nothing', async () => {
    const [a, b, c] = [await t.makeUser(), await t.makeUser(), await t.makeUser()];
    const conv = await group(a, [b.id]);
    const sa = (await TestSocket.authed(t.hub.url(), a.token)).socket;
    const sb = (await TestSocket.authed(t.hub.url(), b.token)).socket;
    const sc = (await TestSocket.authed(t.hub.url(), c.token)).socket;
    const id = randomUUID();
    const reply = await sa.call('message.send', {
      conversationId: conv,
      id,
      text: 'Срочно в 12 палату',
      priority: 'urgent',
    });
    assert.equal(reply.ok, true, JSON.stringify(reply));
    assert.equal(reply.data.id, id);
    const [ev] = await sb.waitEvents(1);
    assert.equal(ev.event, 'message.created');
    assert.equal(ev.data.id, id);
    assert.equal(ev.data.conversationId, conv);
    assert.equal(ev.seq, reply.data.seq);
    // c learns of a direct conversation later; the group's message must not precede it.
    const direct = await t.api.post(
      '/api/v1/conversations',
      { kind: 'direct', memberIds: [c.id] },
      { token: a.token },
    );
    const [first] = await sc.waitEvents(1);
    assert.equal(first.event, 'conversation.created');
    assert.equal(first.data.id, direct.body.id);
    assert.ok(!sc.events().some((f) => f.data?.conversationId === conv || f.data?.id === conv));
    const again = await sa.call('message.send', {
      conversationId: conv,
      id,
      text: 'Срочно в 12 палату',
      priority: 'urgent',
    });
    assert.deepEqual(again.data, reply.data, 'the same id returns the stored message');
    const denied = await sc.call('message.send', {
      conversationId: conv,
      id: randomUUID(),
      text: 'x',
    });
    assert.equal(denied.ok, false);
    assert.equal(denied.error.code, 'messaging.not_member');
    [sa, sb, sc].forEach((s) => s.close());
  });

  it('malformed op data gets an error frame with the field, keeps the connection and stores nothing', async () => {
    const [a, b] = [await t.makeUser(), await t.makeUser()];
    const conv = await group(a, [b.id]);
    const { socket } = await TestSocket.authed(t.hub.url(), a.token);
    const before = Number(
      (await t.hub.internals.db.manager.query('SELECT COUNT(*) AS n FROM message'))[0].n,
    );
    const bad = await socket.call('message.send', { conversationId: conv, id: 'nope', text: 'x' });
    assert.equal(bad.error.code, 'validation.invalid');
    assert.equal(bad.error.field, 'id');
    const ack = await socket.call('message.ack', { messageId: randomUUID(), response: 'maybe' });
    assert.equal(ack.error.field, 'response');
    const noMinutes = await socket.call('message.ack', {
      messageId: randomUUID(),
      response: 'call_back',
    });
    assert.equal(noMinutes.error.field, 'minutes');
    const ok = await socket.call('message.send', {
      conversationId: conv,
      id: randomUUID(),
      text: 'ok',
    });
    assert.equal(ok.ok, true, 'the connection is kept');
    const after = Number(
      (await t.hub.internals.db.manager.query('SELECT COUNT(*) AS n FROM message'))[0].n,
    );
    assert.equal(after, before + 1);
    socket.close();
  });

  it('read receipts reach the sender live as message.receipt', async () => {
    const [a, b] = [await t.makeUser(), await t.makeUser()];
    const conv = await group(a, [b.id]);
    const sa = (await TestSocket.authed(t.hub.url(), a.token)).socket;
    const sb = (await TestSocket.authed(t.hub.url(), b.token)).socket;
    const sent = await sa.call('message.send', {
      conversationId: conv,
      id: randomUUID(),
      text: 'Посмотрите ЭКГ',
    });
    await sb.waitEvents(1);
    const read = await sb.call('message.read', { messageId: sent.data.id });
    assert.equal(read.data.readSeq, sent.data.seq);
    const receipt = await sa.next((f) => f.event === 'message.receipt');
    assert.deepEqual(
      [receipt.data.userId, receipt.data.readSeq, receipt.data.conversationId],
      [b.id, sent.data.seq, conv],
    );
    sa.close();
    sb.close();
  });

  it('resume after a disconnect returns exactly the events missed, in order', async () => {
    const [a, b, d] = [await t.makeUser(), await t.makeUser(), await t.makeUser()];
    const conv = await group(a, [b.id, d.id]);
    const watcher = (await TestSocket.authed(t.hub.url(), d.token)).socket;
    const first = await TestSocket.authed(t.hub.url(), b.token);
    const lastSeq = first.reply.data.head as number;
    first.socket.close();
    const watched = watcher.events().length;
    for (let i = 0; i < 5; i++) {
      await t.api.post(
        `/api/v1/conversations/${conv}/messages`,
        { id: randomUUID(), text: `пропущено ${i}` },
        { token: a.token },
      );
    }
    await watcher.waitEvents(watched + 5);
    const missed = watcher.events().slice(watched);
    const back = await TestSocket.authed(t.hub.url(), b.token, lastSeq);
    assert.equal(back.reply.data.resumed, 5);
    const got = await back.socket.waitEvents(5);
    assert.deepEqual(
      got.map((f) => f.seq),
      missed.map((f) => f.seq),
    );
    assert.deepEqual(
      got.map((f) => f.data.text),
      missed.map((f) => f.data.text),
    );
    await sleep(100);
    assert.equal(back.socket.events().length, 5, 'nothing more, nothing twice');
    back.socket.close();
    watcher.close();
  });

  it('a removed member gets the same events live as on resume, and nothing after leaving', async () => {
    const [a, b] = [await t.makeUser(), await t.makeUser()];
    const conv = await group(a, [b.id]);
    const live = await TestSocket.authed(t.hub.url(), b.token);
    const from = live.reply.data.head as number;
    await t.api.post(
      `/api/v1/conversations/${conv}/messages`,
      { id: randomUUID(), text: 'до удаления' },
      { token: a.token },
    );
    const removed = await t.api.delete(`/api/v1/conversations/${conv}/members/${b.id}`, {
      token: a.token,
    });
    assert.equal(removed.status, 200);
    await t.api.post(
      `/api/v1/conversations/${conv}/messages`,
      { id: randomUUID(), text: 'после удаления' },
      { token: a.token },
    );
    await live.socket.next((f) => f.event === 'conversation.updated');
    await sleep(150);
    const liveEvents = live.socket.events();
    assert.deepEqual(
      liveEvents.map((f) => f.event),
      ['message.created', 'conversation.updated'],
    );
    live.socket.close();
    const back = await TestSocket.authed(t.hub.url(), b.token, from);
    assert.equal(back.reply.data.resumed, 2);
    const resumed = await back.socket.waitEvents(2);
    assert.deepEqual(
      resumed.map((f) => f.seq),
      liveEvents.map((f) => f.seq),
    );
    back.socket.close();
  });

  it('resume works across a hub restart: the events missed before it arrive after it', async () => {
    const [a, b] = [await t.makeUser(), await t.makeUser()];
    const conv = await group(a, [b.id]);
    const first = await TestSocket.authed(t.hub.url(), b.token);
    const lastSeq = first.reply.data.head as number;
    first.socket.close();
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) {
      texts.push(`до перезапуска ${i}`);
      await t.api.post(
        `/api/v1/conversations/${conv}/messages`,
        { id: randomUUID(), text: texts[i] },
        { token: a.token },
      );
    }
    await t.hub.stop();
    const again = createHub({ ...t.hub.config, port: 0 }, { clock: t.clock });
    await again.start();
    try {
      const back = await TestSocket.authed(again.url(), b.token, lastSeq);
      assert.equal(back.reply.ok, true, 'the session survives the restart');
      const got = await back.socket.waitEvents(3);
      assert.deepEqual(
        messagesOf(back.socket).map((f) => f.data.text),
        texts,
      );
      assert.deepEqual(
        got.map((f) => f.seq),
        [...got.map((f) => f.seq)].sort((x, y) => x - y),
      );
      back.socket.close();
    } finally {
      await again.stop();
    }
  });

  it('the SDK outbox delivers a send made while the hub was down exactly once after it returns', async () => {
    const [a, b] = [await t.makeUser(), await t.makeUser()];
    const conv = await group(a, [b.id]);
    const aLogin = (await t.api.get('/api/v1/me', { token: a.token })).body.login as string;
    const port = await freePort();
    await t.hub.stop();
    const config = { ...t.hub.config, port };
    let hub = createHub(config, { clock: t.clock });
    await hub.start();
    const client = new HubClient({
      baseUrl: hub.url(),
      WebSocket,
      reconnect: { minMs: 20, maxMs: 100 },
    });
    try {
      await client.login(aLogin, TEST_PASSWORD);
      await client.connect();
      await hub.stop();
      const sent = client.send(conv, { text: 'из очереди' });
      await sleep(150);
      assert.equal(client.pending().length, 1, 'queued while the hub is down');
      hub = createHub(config, { clock: t.clock });
      await hub.start();
      const msg = await sent;
      assert.equal(msg.text, 'из очереди');
      assert.equal(client.pending().length, 0);
      const rows = await hub.internals.db.manager.query(
        `SELECT COUNT(*) AS n FROM message WHERE id = '${msg.id}'`,
      );
      assert.equal(Number(rows[0].n), 1);
    } finally {
      client.close();
      await hub.stop();
    }
  });
});
