import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { z } from 'zod';
import {
  CLOSE_CODES,
  HubClient,
  HubError,
  type ConnectionStatus,
  type EventFrame,
  type WebSocketLike,
} from '@konsilium/shared';
import type { RealtimeGateway } from '../src/platform/realtime/gateway.js';
import { eachDatabase } from './support/databases.js';
import { startTestHub, TEST_PASSWORD, type TestHub } from './support/hub.js';
import { TestStream, until } from './support/ws.js';

/** Terminates every server-side socket of a user (a network drop as the hub sees it). */
function dropSockets(rt: RealtimeGateway, userId: string): number {
  let n = 0;
  for (const conn of (rt as any).all) {
    if (conn.actor?.userId === userId) {
      conn.socket.terminate();
      n += 1;
    }
  }
  return n;
}

eachDatabase('HubClient SDK', (kind) => {
  let t: TestHub;
  let rt: RealtimeGateway;
  let stream: TestStream;
  /** Ids the `test.send` op saw, in order; the first attempt of each id drops the connection. */
  const sendAttempts: string[] = [];
  const clients: HubClient[] = [];

  const client = (extra: Partial<ConstructorParameters<typeof HubClient>[0]> = {}) => {
    const c = new HubClient({
      baseUrl: t.hub.url(),
      WebSocket,
      reconnect: { minMs: 20, maxMs: 100 },
      sendOp: 'test.send',
      ...extra,
    });
    clients.push(c);
    return c;
  };

  before(async () => {
    t = await startTestHub(kind);
    rt = t.hub.internals.realtime;
    stream = new TestStream(rt);
    rt.registerOp('test.echo', {
      schema: z.object({ text: z.string().max(10) }).strict(),
      async handle(actor, data) {
        return { text: data.text, userId: actor.userId };
      },
    });
    rt.registerOp('test.send', {
      schema: z
        .object({
          conversationId: z.string().uuid(),
          id: z.string().uuid(),
          text: z.string().max(20),
        })
        .strict(),
      async handle(actor, data) {
        const first = !sendAttempts.includes(data.id);
        sendAttempts.push(data.id);
        if (first) {
          dropSockets(rt, actor.userId);
          return null;
        }
        return { id: data.id, conversationId: data.conversationId, text: data.text, seq: 1 };
      },
    });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  after(async () => t.close());

  it('logs in, connects, calls ops and REST; errors are HubErrors with code and field', async () => {
    const user = await t.makeUser();
    const hub = client();
    const login = await hub.login(user.login, TEST_PASSWORD, { name: 'SDK test' });
    assert.equal(login.user.id, user.id);
    const auth = await hub.connect();
    assert.equal(auth.userId, user.id);
    assert.equal(hub.status, 'open');
    assert.deepEqual(await hub.call('test.echo', { text: 'hi' }), { text: 'hi', userId: user.id });
    await assert.rejects(hub.call('test.echo', { text: 'much too long' }), (e: HubError) => {
      assert.ok(e instanceof HubError);
      assert.equal(e.code, 'validation.invalid');
      assert.equal(e.field, 'text');
      assert.equal(e.status, 400);
      return true;
    });
    await assert.rejects(hub.call('test.unknown'), { code: 'realtime.unknown_op' });
    const me = await hub.request<{ id: string }>('GET', '/api/v1/me');
    assert.equal(me.id, user.id);
    await assert.rejects(hub.request('GET', '/api/v1/nowhere'), {
      code: 'http.not_found',
      status: 404,
    });
    await assert.rejects(new HubClient({ baseUrl: t.hub.url(), WebSocket }).connect(), {
      code: 'auth.unauthenticated',
    });
  });

  it('delivers typed events, each once, and records the last seq', async () => {
    const user = await t.makeUser();
    const hub = client();
    hub.useToken(user.token);
    await hub.connect();
    const got: EventFrame[] = [];
    const pings: unknown[] = [];
    hub.on('*', (f) => got.push(f));
    hub.on('test.ping', (data) => pings.push(data));
    const e1 = stream.emit([user.id], 'test.ping', { n: 1 });
    const e2 = stream.emit([user.id], 'test.other', { n: 2 });
    await until(() => got.length === 2);
    assert.deepEqual(got, [e1, e2]);
    assert.deepEqual(pings, [{ n: 1 }]);
    assert.equal(hub.lastSeq, e2.seq);
  });

  it('reconnects after the hub drops the socket and resumes exactly the missed events', async () => {
    const user = await t.makeUser();
    const hub = client();
    hub.useToken(user.token);
    const statuses: ConnectionStatus[] = [];
    hub.on('connection', (s) => statuses.push(s));
    await hub.connect();
    const got: number[] = [];
    hub.on('*', (f) => got.push(f.seq));
    const before = [stream.emit([user.id], 'test.a', {}), stream.emit([user.id], 'test.a', {})];
    await until(() => got.length === 2);
    assert.equal(dropSockets(rt, user.id), 1);
    await until(() => hub.status !== 'open');
    const missed = [stream.emit([user.id], 'test.b', {}), stream.emit([user.id], 'test.b', {})];
    await until(() => hub.status === 'open' && got.length === 4, 5000, 'reconnect + resume');
    assert.equal(hub.session?.resumed, 2);
    const live = stream.emit([user.id], 'test.c', {});
    await until(() => got.length === 5);
    assert.deepEqual(
      got,
      [...before, ...missed, live].map((e) => e.seq),
    );
    assert.deepEqual(statuses, ['connecting', 'open', 'closed', 'connecting', 'open']);
  });

  it('emits session-ended on revocation (4003) and does not reconnect', async () => {
    const user = await t.makeUser();
    const hub = client();
    hub.useToken(user.token);
    const auth = await hub.connect();
    const ended: { code: number }[] = [];
    hub.on('session-ended', (e) => ended.push(e));
    await t.api.delete(`/api/v1/admin/sessions/${auth.sessionId}`, { token: t.admin.token });
    await until(() => ended.length === 1);
    assert.equal(ended[0]!.code, CLOSE_CODES.sessionEnded);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(hub.status, 'closed');
    assert.equal(rt.connectionCount(), 0);
  });

  it('outbox retries a send with the same id after a reconnect until the hub answers', async () => {
    const user = await t.makeUser();
    const hub = client();
    hub.useToken(user.token);
    await hub.connect();
    const conversationId = randomUUID();
    const sent = hub.send(conversationId, { text: 'Прошу консультацию' });
    assert.equal(hub.pending().length, 1);
    const id = hub.pending()[0]!.id;
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const stored = (await sent) as any;
    assert.equal(stored.id, id);
    assert.deepEqual(
      sendAttempts.filter((a) => a === id),
      [id, id],
    );
    assert.deepEqual(hub.pending(), []);
  });

  it('outbox drops a send the hub refuses (validation) and rejects it', async () => {
    const user = await t.makeUser();
    const hub = client();
    hub.useToken(user.token);
    await hub.connect();
    const id = randomUUID();
    sendAttempts.push(id); // not a first attempt: the op answers at once
    await assert.rejects(hub.send(randomUUID(), { id, text: 'x'.repeat(50) }), {
      code: 'validation.invalid',
      field: 'text',
    });
    assert.deepEqual(hub.pending(), []);
  });

  it('queues sends while disconnected and sends them after connect', async () => {
    const user = await t.makeUser();
    const hub = client();
    hub.useToken(user.token);
    const id = randomUUID();
    sendAttempts.push(id);
    const sent = hub.send(randomUUID(), { id, text: 'later' });
    assert.equal(hub.pending()[0]!.attempts, 0);
    await hub.connect();
    assert.equal(((await sent) as any).id, id);
  });
});

/** A socket the test drives by hand. */
class FakeSocket implements WebSocketLike {
  static last: FakeSocket | null = null;
  readyState = 0;
  sent: any[] = [];
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.last = this;
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  receive(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

describe('HubClient SDK without a hub', () => {
  it('ignores events whose seq is not above the last seen; resumes from it', async () => {
    const hub = new HubClient({
      baseUrl: 'http://hub.test:8080/',
      WebSocket: FakeSocket,
      fetch: async () => ({ status: 500, text: async () => '' }),
    });
    hub.useToken('t'.repeat(43));
    hub.lastSeq = 10;
    const connected = hub.connect();
    const socket = FakeSocket.last!;
    assert.equal(socket.url, 'ws://hub.test:8080/api/v1/ws');
    socket.readyState = 1;
    socket.onopen?.({});
    const auth = socket.sent[0];
    assert.deepEqual(auth, { id: auth.id, op: 'auth', token: 't'.repeat(43), resumeFrom: 10 });
    socket.receive({
      re: auth.id,
      ok: true,
      data: { userId: 'u', sessionId: 's', head: 12, resumed: 2 },
    });
    assert.equal((await connected).head, 12);
    const seen: number[] = [];
    hub.on('*', (f) => seen.push(f.seq));
    for (const seq of [9, 10, 11, 11, 12, 8, 13]) socket.receive({ seq, event: 'x.y', data: {} });
    assert.deepEqual(seen, [11, 12, 13]);
    assert.equal(hub.lastSeq, 13);
    hub.close();
    assert.equal(hub.status, 'closed');
  });

  it('a call without a reply times out with client.timeout', async () => {
    const hub = new HubClient({
      baseUrl: 'http://hub.test',
      WebSocket: FakeSocket,
      fetch: async () => ({ status: 500, text: async () => '' }),
      callTimeoutMs: 30,
    });
    hub.useToken('t'.repeat(43));
    const connected = hub.connect();
    const socket = FakeSocket.last!;
    socket.onopen?.({});
    socket.receive({ re: socket.sent[0].id, ok: true, data: { head: 0, resumed: 0 } });
    await connected;
    await assert.rejects(hub.call('x.y', {}), { code: 'client.timeout' });
    hub.close();
  });
});
