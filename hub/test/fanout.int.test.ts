import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { CLOSE_CODES } from '@konsilium/shared';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { DATABASES } from './support/databases.js';
import { Api } from './support/http.js';
import type { TestHub } from './support/hub.js';
import { TestSocket } from './support/ws.js';
import { REDIS_URL, TestNodes, firstNode, redisProblem, streamChannel } from './support/nodes.js';

const problem = redisProblem;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('hub configuration: redisUrl', () => {
  it('is off when unset and needs PostgreSQL when set', () => {
    assert.equal(loadConfig({}).redisUrl, undefined);
    assert.throws(
      () => loadConfig({ KONSILIUM_REDIS_URL: 'redis://127.0.0.1:6379' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /KONSILIUM_REDIS_URL/.test(err.message) &&
        /PostgreSQL/.test(err.message),
    );
    const ok = loadConfig({
      KONSILIUM_REDIS_URL: 'redis://127.0.0.1:6379/2',
      KONSILIUM_DATABASE_URL: 'postgres://h/db',
      KONSILIUM_REDIS_GAP_MS: '250',
    });
    assert.equal(ok.redisUrl, 'redis://127.0.0.1:6379/2');
    assert.equal(ok.redisGapMs, 250);
    assert.equal(ok.redisChannel, 'konsilium');
  });

  it('refuses a URL that is not redis:// and a bad channel name', () => {
    const db = { KONSILIUM_DATABASE_URL: 'postgres://h/db' };
    assert.throws(
      () => loadConfig({ ...db, KONSILIUM_REDIS_URL: 'http://127.0.0.1:6379' }),
      /KONSILIUM_REDIS_URL.*redis:\/\//,
    );
    assert.throws(
      () => loadConfig({ ...db, KONSILIUM_REDIS_URL: 'redis://r', KONSILIUM_REDIS_CHANNEL: 'a b' }),
      /KONSILIUM_REDIS_CHANNEL/,
    );
    assert.throws(
      () => loadConfig({ ...db, KONSILIUM_REDIS_URL: 'redis://r', KONSILIUM_REDIS_GAP_MS: '5' }),
      /KONSILIUM_REDIS_GAP_MS/,
    );
  });
});

if (!problem && DATABASES.includes('postgres')) {
  describe('several hub nodes on one PostgreSQL database (Redis fan-out)', function () {
    let a: TestHub;
    let nodes: TestNodes;
    let channel: string;

    /** Another node on node A's database, with its own data directory. */
    const node = (redisChannel = channel) => nodes.start(redisChannel);

    beforeEach(async () => {
      ({ a, nodes, channel } = await firstNode());
    });
    afterEach(() => nodes.stopAll());

    const group = async (api: Api, token: string, memberIds: string[]) => {
      const r = await api.post(
        '/api/v1/conversations',
        { kind: 'group', title: 'Обход', memberIds },
        { token },
      );
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id as string;
    };
    const seqs = (s: TestSocket) => s.events().map((f) => f.seq as number);
    const created = (s: TestSocket) =>
      s.events().filter((f) => f.event === 'message.created' && !f.data.system);
    const increasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]!);

    it('delivers what one node commits to sockets on the other, in the same order on both', async () => {
      const b = await node();
      const [u1, u2, u3] = [await a.makeUser(), await a.makeUser(), await a.makeUser()];
      const conv = await group(a.api, u1.token, [u2.id, u3.id]);
      const s1 = (await TestSocket.authed(a.hub.url(), u1.token, 0)).socket; // on A
      const s2 = (await TestSocket.authed(b.hub.url(), u2.token, 0)).socket; // on B
      const s3 = (await TestSocket.authed(a.hub.url(), u3.token, 0)).socket; // on A
      await s2.next((f) => f.event === 'conversation.created');
      // Both nodes write at once: u1 through A, u2 through B.
      const n = 40;
      const sends: Promise<any>[] = [];
      for (let i = 0; i < n; i++) {
        sends.push(
          s1.call('message.send', { conversationId: conv, id: randomUUID(), text: `a${i}` }),
        );
        sends.push(
          s2.call('message.send', { conversationId: conv, id: randomUUID(), text: `b${i}` }),
        );
      }
      const replies = await Promise.all(sends);
      for (const r of replies) assert.equal(r.ok, true, JSON.stringify(r));
      const positions = replies.map((r) => r.data.seq as number);
      assert.equal(new Set(positions).size, positions.length, 'every position is unique');
      for (const s of [s1, s2, s3]) {
        const deadline = Date.now() + 5000;
        while (created(s).length < 2 * n && Date.now() < deadline) await sleep(20);
        assert.equal(created(s).length, 2 * n);
        assert.ok(increasing(seqs(s)), 'events arrive in stream order');
      }
      // The same events, in the same order, whichever node a socket is on.
      const ids = (s: TestSocket) => created(s).map((f) => f.data.id as string);
      assert.deepEqual(ids(s2), ids(s1));
      assert.deepEqual(ids(s3), ids(s1));
      assert.deepEqual(
        created(s2).map((f) => f.seq),
        [...positions].sort((x, y) => x - y),
      );

      // Receipts and acknowledgements made on B reach the author on A.
      const tail = await s1.call('message.send', {
        conversationId: conv,
        id: randomUUID(),
        text: 'прочтите',
      });
      const last = (await s2.next((f) => f.data?.id === tail.data.id)).data;
      const first = created(s1).find((f) => f.data.authorId === u1.id)!.data;
      assert.equal((await s2.call('message.read', { messageId: last.id })).ok, true);
      const receipt = await s1.next(
        (f) => f.event === 'message.receipt' && f.data.userId === u2.id,
      );
      assert.ok(receipt.seq > last.seq);
      const ack = await s2.call('message.ack', { messageId: first.id, response: 'accepted' });
      assert.equal(ack.ok, true, JSON.stringify(ack));
      const updated = await s1.next((f) => f.event === 'message.updated' && f.data.id === first.id);
      assert.ok(updated.seq > receipt.seq);
      await sleep(100);
      assert.ok(increasing(seqs(s1)) && increasing(seqs(s2)) && increasing(seqs(s3)));
      for (const s of [s1, s2, s3]) s.close();
    });

    it('resumes against either node with exactly the missed events', async () => {
      const b = await node();
      const [u1, u2] = [await a.makeUser(), await a.makeUser()];
      const conv = await group(a.api, u1.token, [u2.id]);
      const send = (api: Api, text: string) =>
        api.post(
          `/api/v1/conversations/${conv}/messages`,
          { id: randomUUID(), text },
          { token: u1.token },
        );
      const s2 = (await TestSocket.authed(b.hub.url(), u2.token, 0)).socket;
      assert.equal((await send(a.api, 'до')).status, 201);
      await s2.next((f) => f.event === 'message.created' && f.data.text === 'до');
      const lastSeen = seqs(s2).at(-1)!;
      s2.close();
      const missed: string[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await send(i % 2 ? a.api : b.api, `пропущено ${i}`);
        assert.equal(r.status, 201);
        missed.push(r.body.id as string);
      }
      // Back on A (the other node than before), then on B again from the same point.
      for (const url of [a.hub.url(), b.hub.url()]) {
        const { socket, reply } = await TestSocket.authed(url, u2.token, lastSeen);
        assert.equal(reply.ok, true);
        assert.equal(reply.data.resumed, missed.length);
        await socket.waitEvents(missed.length);
        assert.deepEqual(
          socket.events().map((f) => f.data.id),
          missed,
        );
        assert.ok(increasing(seqs(socket)));
        socket.close();
      }
    });

    it('closes the sockets of a session revoked on the other node (4003 within 1 s)', async () => {
      const b = await node();
      const u = await a.makeUser();
      const s = (await TestSocket.authed(b.hub.url(), u.token)).socket;
      const keep = await a.makeUser();
      const other = (await TestSocket.authed(b.hub.url(), keep.token)).socket;
      const started = Date.now();
      const r = await a.api.post('/api/v1/auth/logout', {}, { token: u.token });
      assert.ok(r.status === 200 || r.status === 204, String(r.status));
      const closed = await s.closedWithin(1000);
      assert.equal(closed.code, CLOSE_CODES.sessionEnded);
      assert.ok(Date.now() - started < 1000);
      assert.equal(other.isOpen, true, 'other sessions keep their sockets');
      other.close();
    });

    it('a member added on one node gets the next message sent through the other live', async () => {
      const b = await node();
      const [u1, u2, u3] = [await a.makeUser(), await a.makeUser(), await a.makeUser()];
      const conv = await group(a.api, u1.token, [u2.id]);
      // A has the conversation's membership cached.
      const first = await a.api.post(
        `/api/v1/conversations/${conv}/messages`,
        { id: randomUUID(), text: 'один' },
        { token: u1.token },
      );
      assert.equal(first.status, 201);
      const s3 = (await TestSocket.authed(a.hub.url(), u3.token, 0)).socket;
      const invited = await b.api.post(
        `/api/v1/conversations/${conv}/members`,
        { userIds: [u3.id] },
        { token: u1.token },
      );
      assert.ok(invited.status < 300, JSON.stringify(invited.body));
      const sent = await a.api.post(
        `/api/v1/conversations/${conv}/messages`,
        { id: randomUUID(), text: 'для нового' },
        { token: u1.token },
      );
      assert.equal(sent.status, 201);
      const ev = await s3.next(
        (f) => f.event === 'message.created' && f.data.text === 'для нового',
      );
      assert.equal(ev.data.id, sent.body.id);
      s3.close();
    });

    it('a range that never comes through Redis is read from the database, without a gap', async () => {
      const b = await node();
      // C writes to the same database but publishes on another channel: A and B never hear of it.
      const c = await node(`${channel}-elsewhere`);
      const [u1, u2] = [await a.makeUser(), await a.makeUser()];
      const conv = await group(a.api, u1.token, [u2.id]);
      const s2 = (await TestSocket.authed(b.hub.url(), u2.token, 0)).socket;
      await s2.next((f) => f.event === 'conversation.created');
      const send = (api: Api, text: string) =>
        api.post(
          `/api/v1/conversations/${conv}/messages`,
          { id: randomUUID(), text },
          { token: u1.token },
        );
      // A lost range followed by a batch that shows the gap …
      const lost = await send(c.api, 'мимо Redis');
      const after = await send(a.api, 'после');
      // … and a lost range with nothing after it (found by the idle head check).
      const tail = await send(c.api, 'последнее');
      for (const r of [lost, after, tail]) assert.equal(r.status, 201);
      const got = await s2.next((f) => f.data?.id === tail.body.id, 5000);
      assert.ok(got);
      await sleep(100);
      assert.deepEqual(
        created(s2).map((f) => f.data.id),
        [lost.body.id, after.body.id, tail.body.id],
      );
      assert.ok(increasing(seqs(s2)));
      assert.equal(s2.isOpen, true, 'caught up in place, not disconnected');
      s2.close();
    });

    it('a presence change made on one node reaches its watcher on the other', async () => {
      const b = await node();
      const [u1, u2] = [await a.makeUser(), await a.makeUser()];
      const watcher = (await TestSocket.authed(b.hub.url(), u2.token)).socket; // on B
      const watch = await watcher.call('presence.watch', { userIds: [u1.id] });
      assert.equal(watch.ok, true, JSON.stringify(watch));
      const s1 = (await TestSocket.authed(a.hub.url(), u1.token)).socket; // on A
      const until = new Date(a.clock.now().getTime() + 3600_000).toISOString();
      const set = await s1.call('presence.set', { status: 'busy', until });
      assert.equal(set.ok, true, JSON.stringify(set));
      const ev = await watcher.next((f) => f.event === 'presence.changed');
      assert.equal(ev.data.userId, u1.id);
      assert.equal(ev.data.status, 'busy');
      // It is an event of the stream like any other: a resume finds it too.
      const again = await TestSocket.authed(a.hub.url(), u2.token, ev.seq - 1);
      assert.equal(again.reply.data.resumed, 1);
      const [resumed] = await again.socket.waitEvents(1);
      assert.equal(resumed.event, 'presence.changed');
      for (const s of [watcher, s1, again.socket]) s.close();
    });

    it('ignores a malformed message on the channel and keeps delivering', async () => {
      const b = await node();
      const [u1, u2] = [await a.makeUser(), await a.makeUser()];
      const conv = await group(a.api, u1.token, [u2.id]);
      const s2 = (await TestSocket.authed(b.hub.url(), u2.token, 0)).socket;
      await s2.next((f) => f.event === 'conversation.created');
      const stream = await streamChannel(a, channel);
      const raw = new Redis(REDIS_URL);
      try {
        await raw.publish(stream, '{"t":"batch","after":"x"}');
        await raw.publish(stream, 'not json');
      } finally {
        raw.disconnect();
      }
      const r = await a.api.post(
        `/api/v1/conversations/${conv}/messages`,
        { id: randomUUID(), text: 'дальше' },
        { token: u1.token },
      );
      assert.equal(r.status, 201);
      const ev = await s2.next((f) => f.data?.id === r.body.id);
      assert.equal(ev.event, 'message.created');
      s2.close();
    });
  });
}
