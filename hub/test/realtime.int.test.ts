import assert from 'node:assert/strict';
import { z } from 'zod';
import { AppError, CLOSE_CODES } from '@konsilium/shared';
import type { RealtimeGateway } from '../src/platform/realtime/gateway.js';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';
import { TestSocket, TestStream, until } from './support/ws.js';

const SEND_BUFFER = 64 * 1024;

/** Ops a test hub offers: `test.echo` (validated, optionally slow) and `test.fail`. */
function registerTestOps(rt: RealtimeGateway): void {
  rt.registerOp('test.echo', {
    schema: z
      .object({ text: z.string().max(10), delayMs: z.number().int().max(500).optional() })
      .strict(),
    async handle(actor, data) {
      if (data.delayMs) await new Promise((r) => setTimeout(r, data.delayMs));
      return { text: data.text, userId: actor.userId };
    },
  });
  rt.registerOp('test.fail', {
    schema: z.object({ how: z.enum(['app', 'crash']) }).strict(),
    async handle(_actor, data) {
      if (data.how === 'app') throw new AppError('auth.forbidden', { field: 'how' });
      throw new Error('secret internal detail');
    },
  });
}

eachDatabase('realtime gateway', (kind) => {
  let t: TestHub;
  let rt: RealtimeGateway;
  let stream: TestStream;
  let url: string;

  before(async () => {
    t = await startTestHub(kind, {
      wsAuthTimeoutSeconds: 1,
      wsMaxPayloadBytes: 4096,
      wsSendBufferBytes: SEND_BUFFER,
      allowedOrigins: ['https://ui.example.org'],
    });
    rt = t.hub.internals.realtime;
    registerTestOps(rt);
    stream = new TestStream(rt);
    url = t.hub.url();
  });
  after(async () => t.close());

  describe('authentication', () => {
    it('answers a valid auth frame with the user, session, head and resumed count', async () => {
      const user = await t.makeUser();
      stream.emit([user.id], 'test.before', {});
      const { socket, reply } = await TestSocket.authed(url, user.token);
      assert.equal(reply.ok, true);
      assert.equal(reply.data.userId, user.id);
      assert.match(reply.data.sessionId, /^[0-9a-f-]{36}$/);
      assert.equal(reply.data.head, stream.head);
      assert.equal(reply.data.resumed, 0);
      await until(() => rt.connectionCount() > 0);
      socket.close();
    });

    it('refuses a bad token: error reply with the frame id, then close 4001', async () => {
      const socket = await TestSocket.open(url);
      socket.send({ id: 'a1', op: 'auth', token: 'x'.repeat(43) });
      const reply = await socket.reply('a1');
      assert.equal(reply.ok, false);
      assert.equal(reply.error.code, 'auth.session_expired');
      assert.equal((await socket.closedWithin()).code, CLOSE_CODES.authFailed);
    });

    it('refuses an op as the first frame with realtime.not_authenticated and 4001', async () => {
      const socket = await TestSocket.open(url);
      socket.send({ id: 'x1', op: 'test.echo', data: { text: 'hi' } });
      const reply = await socket.reply('x1');
      assert.equal(reply.error.code, 'realtime.not_authenticated');
      assert.equal((await socket.closedWithin()).code, CLOSE_CODES.authFailed);
    });

    it('closes with 4002 when no auth frame arrives in time', async () => {
      const socket = await TestSocket.open(url);
      const closed = await socket.closedWithin(3000);
      assert.equal(closed.code, CLOSE_CODES.authTimeout);
      assert.equal(socket.frames.length, 0);
    });

    it('ignores a token in the query string: the first frame must still authenticate', async () => {
      const user = await t.makeUser();
      const socket = await TestSocket.open(url, { path: `/api/v1/ws?token=${user.token}` });
      socket.send({ id: 'q1', op: 'test.echo', data: { text: 'hi' } });
      assert.equal((await socket.reply('q1')).error.code, 'realtime.not_authenticated');
      assert.equal((await socket.closedWithin()).code, CLOSE_CODES.authFailed);
    });

    it('answers a second auth frame with an error and keeps the connection', async () => {
      const user = await t.makeUser();
      const { socket } = await TestSocket.authed(url, user.token);
      const again = await socket.auth(user.token);
      assert.equal(again.error.code, 'realtime.already_authenticated');
      assert.equal((await socket.call('test.echo', { text: 'ok' })).ok, true);
      socket.close();
    });
  });

  describe('handshake', () => {
    it('refuses a foreign Origin with 403 and accepts allowed, own and absent origins', async () => {
      await assert.rejects(TestSocket.open(url, { origin: 'https://evil.example.com' }), {
        status: 403,
      });
      const allowed = await TestSocket.open(url, { origin: 'https://ui.example.org' });
      const own = await TestSocket.open(url, { origin: url });
      const none = await TestSocket.open(url);
      for (const s of [allowed, own, none]) {
        assert.equal(s.isOpen, true);
        s.close();
      }
    });

    it('answers an upgrade on any other path with 404', async () => {
      await assert.rejects(TestSocket.open(url, { path: '/api/v1/other' }), { status: 404 });
    });
  });

  describe('ops', () => {
    let socket: TestSocket;
    before(async () => {
      socket = (await TestSocket.authed(url, (await t.makeUser()).token)).socket;
    });
    after(() => socket.close());

    it('runs ops concurrently; each reply carries its frame id', async () => {
      const ids = ['slow', 'fast', 'mid'];
      const delays = [150, 0, 50];
      ids.forEach((id, i) =>
        socket.send({ id, op: 'test.echo', data: { text: id, delayMs: delays[i] } }),
      );
      const replies = await Promise.all(ids.map((id) => socket.reply(id)));
      replies.forEach((r, i) => assert.deepEqual(r.data.text, ids[i]));
      const order = socket.frames.filter((f) => ids.includes(f.re)).map((f) => f.re);
      assert.deepEqual(order, ['fast', 'mid', 'slow']);
    });

    it('answers an unknown op with realtime.unknown_op and keeps the connection', async () => {
      const reply = await socket.call('test.nothing', {});
      assert.equal(reply.ok, false);
      assert.equal(reply.error.code, 'realtime.unknown_op');
      assert.equal(reply.error.field, 'op');
      assert.equal((await socket.call('test.echo', { text: 'still' })).data.text, 'still');
    });

    it('answers malformed frames with realtime.malformed_frame (re = id or null), connection kept', async () => {
      socket.send('{not json');
      const noId = await socket.next((f) => f.re === null && f.ok === false);
      assert.equal(noId.error.code, 'realtime.malformed_frame');
      socket.send({ id: 'm1', op: 'NOT AN OP' });
      assert.equal((await socket.reply('m1')).error.code, 'realtime.malformed_frame');
      socket.send({ id: 'm2', op: 'test.echo', data: {}, extra: 1 });
      const extra = await socket.reply('m2');
      assert.equal(extra.error.code, 'realtime.malformed_frame');
      assert.equal(extra.error.field, 'extra');
      socket.send([1, 2, 3]);
      assert.equal(socket.isOpen, true);
      assert.equal((await socket.call('test.echo', { text: 'alive' })).data.text, 'alive');
    });

    it('answers invalid op data with validation.invalid naming the field', async () => {
      const reply = await socket.call('test.echo', { text: 'far too long text' });
      assert.equal(reply.error.code, 'validation.invalid');
      assert.equal(reply.error.field, 'text');
      const unknown = await socket.call('test.echo', { text: 'a', colour: 'red' });
      assert.equal(unknown.error.field, 'colour');
    });

    it('passes a handler AppError through and hides an unexpected error as internal.error', async () => {
      const app = await socket.call('test.fail', { how: 'app' });
      assert.deepEqual(
        { code: app.error.code, field: app.error.field },
        { code: 'auth.forbidden', field: 'how' },
      );
      const crash = await socket.call('test.fail', { how: 'crash' });
      assert.equal(crash.error.code, 'internal.error');
      assert.equal(crash.error.message, 'Internal error');
      assert.doesNotMatch(JSON.stringify(crash), /secret|stack|at /);
      assert.equal(socket.isOpen, true);
    });

    it('closes with 4009 after more than 20 malformed frames in a minute', async () => {
      const { socket: abusive } = await TestSocket.authed(url, (await t.makeUser()).token);
      for (let i = 0; i < 25; i++) abusive.send('garbage');
      assert.equal((await abusive.closedWithin()).code, CLOSE_CODES.protocolViolation);
    });

    it('closes with 1009 when a frame exceeds wsMaxPayloadBytes', async () => {
      const { socket: big } = await TestSocket.authed(url, (await t.makeUser()).token);
      big.send({ id: 'big', op: 'test.echo', data: { text: 'x'.repeat(8000) } });
      assert.equal((await big.closedWithin()).code, CLOSE_CODES.tooBig);
    });
  });

  describe('events and resume', () => {
    it('sends live events only to the addressed users', async () => {
      const [a, b] = [await t.makeUser(), await t.makeUser()];
      const sa = (await TestSocket.authed(url, a.token)).socket;
      const sb = (await TestSocket.authed(url, b.token)).socket;
      const e1 = stream.emit([a.id], 'test.one', { n: 1 });
      const e2 = stream.emit([a.id, b.id], 'test.two', { n: 2 });
      assert.deepEqual(await sa.waitEvents(2), [e1, e2]);
      assert.deepEqual(await sb.waitEvents(1), [e2]);
      sa.close();
      sb.close();
    });

    it('without resumeFrom sends only live events', async () => {
      const user = await t.makeUser();
      stream.emit([user.id], 'test.old', {});
      const { socket } = await TestSocket.authed(url, user.token);
      const live = stream.emit([user.id], 'test.live', {});
      assert.deepEqual(await socket.waitEvents(1), [live]);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(socket.events().length, 1);
      socket.close();
    });

    it('resume sends exactly the missed events in order, and no live event overtakes them', async () => {
      const user = await t.makeUser();
      const first = (await TestSocket.authed(url, user.token)).socket;
      const seen = stream.emit([user.id], 'test.seen', { n: 0 });
      await first.waitEvents(1);
      first.close();
      await first.closed;
      const missed = [1, 2, 3].map((n) => stream.emit([user.id], 'test.missed', { n }));
      const release = stream.hold();
      const socket = await TestSocket.open(url);
      const replyP = socket.auth(user.token, seen.seq);
      await until(() => rt.connectionCount() > 0 && stream.reads > 0, 5000, 'resume read');
      // Published while the backlog is being read: must come after it, once.
      const during = [4, 5].map((n) => stream.emit([user.id], 'test.during', { n }));
      release();
      const reply = await replyP;
      assert.equal(reply.data.resumed, 5);
      const after = stream.emit([user.id], 'test.after', {});
      const events = await socket.waitEvents(6);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(socket.events(), [...missed, ...during, after]);
      const replyIndex = socket.frames.indexOf(reply);
      assert.equal(replyIndex, 0, 'the auth reply comes before the backlog');
      assert.equal(events.length, 6);
      socket.close();
    });

    it('resume across several pages returns every missed event once, in order', async () => {
      const user = await t.makeUser();
      const from = stream.head;
      const missed = Array.from({ length: 1234 }, (_, n) =>
        stream.emit([user.id], 'test.bulk', { n }),
      );
      const { socket, reply } = await TestSocket.authed(url, user.token, from);
      assert.equal(reply.data.resumed, 1234);
      const events = await socket.waitEvents(1234, 10_000);
      assert.deepEqual(
        events.map((e) => e.seq),
        missed.map((e) => e.seq),
      );
      socket.close();
    });
  });

  describe('slow consumers', () => {
    it('cuts off a client that stops reading (4008) while server buffers stay bounded', async () => {
      const user = await t.makeUser();
      const other = await t.makeUser();
      const { socket } = await TestSocket.authed(url, user.token);
      const { socket: healthy } = await TestSocket.authed(url, other.token);
      (socket.ws as any)._socket.pause();
      const payload = 'x'.repeat(32 * 1024);
      const memBefore = process.memoryUsage();
      let maxBuffered = 0;
      let sent = 0;
      const userSockets = () => rt.connectionCount();
      const open = userSockets();
      for (let i = 0; i < 3000 && userSockets() === open; i++) {
        rt.publish([user.id], { seq: ++stream.head, event: 'test.big', data: { i, payload } });
        maxBuffered = Math.max(maxBuffered, rt.bufferedBytes());
        sent += 1;
        if (i % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      const memAfter = process.memoryUsage();
      assert.equal(userSockets(), open - 1, `still open after ${sent} large events`);
      assert.ok(
        maxBuffered <= SEND_BUFFER + 64 * 1024,
        `server buffered ${maxBuffered} bytes (bound ${SEND_BUFFER})`,
      );
      const grown =
        memAfter.heapUsed + memAfter.external - (memBefore.heapUsed + memBefore.external);
      assert.ok(grown < 24 * 1024 * 1024, `memory grew by ${grown} bytes over ${sent} events`);
      (socket.ws as any)._socket.resume();
      assert.equal((await socket.closedWithin()).code, CLOSE_CODES.slowConsumer);
      // Another user's socket is unaffected.
      const e = stream.emit([other.id], 'test.fine', {});
      assert.deepEqual(await healthy.waitEvents(1), [e]);
      healthy.close();
    });
  });

  describe('session end', () => {
    it("logout closes that session's sockets with 4003 within 1 s; another session stays", async () => {
      const user = await t.makeUser();
      const secondToken = await t.login(user.login);
      const { socket: a } = await TestSocket.authed(url, user.token);
      const { socket: b } = await TestSocket.authed(url, secondToken);
      const res = await t.api.post('/api/v1/auth/logout', undefined, { token: user.token });
      assert.ok(res.status < 300, `logout: ${res.status}`);
      assert.equal((await a.closedWithin(1000)).code, CLOSE_CODES.sessionEnded);
      assert.equal(b.isOpen, true);
      assert.equal((await b.call('test.echo', { text: 'ok' })).ok, true);
      b.close();
    });

    it("admin revocation closes that session's sockets with 4003 within 1 s", async () => {
      const user = await t.makeUser();
      const otherToken = await t.login(user.login);
      const { socket: a, reply } = await TestSocket.authed(url, user.token);
      const { socket: b } = await TestSocket.authed(url, otherToken);
      const res = await t.api.delete(`/api/v1/admin/sessions/${reply.data.sessionId}`, {
        token: t.admin.token,
      });
      assert.ok(res.status < 300, `revoke: ${res.status}`);
      assert.equal((await a.closedWithin(1000)).code, CLOSE_CODES.sessionEnded);
      assert.equal(b.isOpen, true);
      b.close();
    });
  });
});

eachDatabase('realtime gateway lifecycle', (kind) => {
  it('hub stop closes open sockets with 1001', async () => {
    const t = await startTestHub(kind);
    const user = await t.makeUser();
    const { socket } = await TestSocket.authed(t.hub.url(), user.token);
    const pending = await TestSocket.open(t.hub.url());
    await t.close();
    assert.equal((await socket.closedWithin()).code, CLOSE_CODES.goingAway);
    assert.equal((await pending.closedWithin()).code, CLOSE_CODES.goingAway);
  });

  it('heartbeats close the sockets of an expired session (4003) and drop dead sockets', async () => {
    const t = await startTestHub(kind, { wsHeartbeatSeconds: 1, sessionIdleSeconds: 600 });
    try {
      const [u1, u2] = [await t.makeUser(), await t.makeUser()];
      const { socket: expiring } = await TestSocket.authed(t.hub.url(), u1.token);
      t.clock.advanceSeconds(601);
      // A fresh session whose client stops answering pings.
      const fresh = await t.login(u2.login);
      const { socket: dead } = await TestSocket.authed(t.hub.url(), fresh);
      (dead.ws as any)._socket.pause();
      assert.equal((await expiring.closedWithin(4000)).code, CLOSE_CODES.sessionEnded);
      await until(() => t.hub.internals.realtime.connectionCount() === 0, 5000, 'dead socket');
    } finally {
      await t.close();
    }
  });
});
