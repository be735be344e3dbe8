import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AppError } from '@konsilium/shared';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';
import { TestSocket } from './support/ws.js';
import { createLogger } from '../src/platform/log/logger.js';
import { verifyAuditChain } from '../src/modules/audit/index.js';
import { StreamWriter, type BulkKind } from '../src/modules/messaging/messaging.stream.js';

/** Writes every frame in one TCP write, so the hub reads them in one turn (one batch). */
function burst(socket: TestSocket, frames: unknown[]): void {
  const raw = (socket.ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
  raw.cork();
  for (const f of frames) socket.send(f);
  raw.uncork();
}

eachDatabase('messaging group commit of plain sends', (kind) => {
  let t: TestHub;
  before(async () => (t = await startTestHub(kind)));
  after(async () => t.close());

  const rows = (sql: string) => t.hub.internals.db.manager.query<any[]>(sql);

  it('sends arriving together are stored once each, in order, with one audit row and event each; a resent id collapses', async () => {
    const [a, b] = [await t.makeUser(), await t.makeUser()];
    const created = await t.api.post(
      '/api/v1/conversations',
      { kind: 'group', title: 'Пакет', memberIds: [b.id] },
      { token: a.token },
    );
    const conv = created.body.id as string;
    const sa = (await TestSocket.authed(t.hub.url(), a.token)).socket;
    const sb = (await TestSocket.authed(t.hub.url(), b.token)).socket;
    const ids = Array.from({ length: 30 }, () => randomUUID());
    const dup = ids[7]!;
    const frames = ids.map((id, k) => ({
      id: `s-${k}`,
      op: 'message.send',
      data: { conversationId: conv, id, text: `сообщение ${k}` },
    }));
    frames.push({
      id: 's-dup',
      op: 'message.send',
      data: { conversationId: conv, id: dup, text: 'сообщение 7' },
    });
    frames.push({
      id: 's-conflict',
      op: 'message.send',
      data: { conversationId: randomUUID(), id: randomUUID(), text: 'не туда' },
    });
    burst(sa, frames);
    const replies = await Promise.all(frames.map((f) => sa.reply(f.id)));
    for (const r of replies.slice(0, 30)) assert.equal(r.ok, true, JSON.stringify(r));
    const dupReply = replies[30];
    assert.equal(dupReply.ok, true);
    assert.deepEqual(dupReply.data, replies[7].data, 'the resend answers with the stored message');
    assert.equal(replies[31].ok, false);
    assert.equal(replies[31].error.code, 'messaging.conversation_not_found');

    const seqs = replies.slice(0, 30).map((r) => Number(r.data.seq));
    assert.deepEqual(
      [...seqs].sort((x, y) => x - y),
      seqs,
      'positions follow the order of arrival',
    );
    const stored = await rows(
      `SELECT id, seq FROM message WHERE conversation_id = '${conv}' AND system IS NULL ORDER BY seq`,
    );
    assert.deepEqual(
      stored.map((r) => r.id),
      ids,
      'each message once, in order',
    );
    const [c] = await rows(`SELECT last_seq FROM conversation WHERE id = '${conv}'`);
    assert.equal(Number(c.last_seq), seqs[29], 'the conversation points at its newest message');
    const [me] = await rows(
      `SELECT read_seq, delivered_seq FROM conversation_member WHERE conversation_id = '${conv}' AND user_id = '${a.id}'`,
    );
    assert.equal(Number(me.read_seq), seqs[29], "the sender's own watermark moved to the newest");
    assert.equal(Number(me.delivered_seq), seqs[29]);
    const [other] = await rows(
      `SELECT read_seq FROM conversation_member WHERE conversation_id = '${conv}' AND user_id = '${b.id}'`,
    );
    assert.ok(Number(other.read_seq) < seqs[0]!, "the recipient's watermark is untouched");
    const audit = await rows(
      `SELECT target_id FROM audit_log WHERE action = 'messaging.message.send' AND target_id IN (${ids.map((i) => `'${i}'`).join(',')})`,
    );
    assert.equal(audit.length, 30, 'one audit row per message, none for the resend');
    assert.equal((await verifyAuditChain(t.hub.internals.db.manager)).ok, true);
    const events = await rows(
      `SELECT seq FROM stream_event WHERE conversation_id = '${conv}' AND type = 'message.created' ORDER BY seq`,
    );
    assert.equal(events.length, 30, 'one event per message, none for the resend');

    const got = (await sb.waitEvents(30)).filter(
      (e) => e.event === 'message.created' && !e.data.system,
    );
    assert.deepEqual(
      got.map((e) => e.data.id),
      ids,
      'the recipient gets each once, in order',
    );
    assert.deepEqual(
      got.map((e) => e.seq),
      seqs,
    );
    // The history reads them back like any other message.
    const hist = await t.api.get(`/api/v1/conversations/${conv}/messages?limit=5`, {
      token: b.token,
    });
    assert.deepEqual(
      hist.body.items.map((i: any) => i.id),
      ids.slice(25),
    );
    sa.ws.close();
    sb.ws.close();
  });

  describe('StreamWriter bulk units', () => {
    const INSERT =
      'INSERT INTO quick_reply (id, user_id, text, created_at) VALUES ($1, $2, $3, $4)';
    /** The statement in this database's parameter syntax. */
    const insert = () =>
      t.hub.internals.db.kind === 'postgres' ? INSERT : INSERT.replace(/\$(\d)/g, '?$1');
    interface Item {
      id: string;
      userId: string;
      text: string;
    }
    /**
     * A bulk kind over a real table: `refuse` fails alone without writing,
     * `alone` is handed back to run by itself, `boom` makes the shared write
     * fail (the whole run is rolled back and every item runs alone; alone,
     * `boom` fails on a NOT NULL column).
     */
    const kind: BulkKind<Item, string> = {
      single: (item) => async (s) => {
        await s.tx.query(insert(), [
          item.id,
          item.userId,
          item.text === 'boom' ? null : `alone ${item.text}`,
          s.now,
        ]);
        s.audit({ action: 'test.bulk', targetId: item.id });
        s.emit(s.next(), { userId: item.userId }, 'test.bulk', { id: item.id }, [item.userId]);
        return `alone ${item.text}`;
      },
      apply: async (s, items, units) => {
        const out = items.map((item, k) => {
          if (item.text === 'refuse')
            return { ok: false as const, error: new AppError('messaging.not_allowed') };
          if (item.text === 'alone') return { alone: true as const };
          const u = units[k]!;
          u.audit({ action: 'test.bulk', targetId: item.id });
          u.emit(u.next(), { userId: item.userId }, 'test.bulk', { id: item.id }, [item.userId]);
          return { ok: true as const, value: `bulk ${item.text}` };
        });
        const write = items.filter((it) => it.text !== 'refuse' && it.text !== 'alone');
        for (const it of write) {
          await s.tx.query(insert(), [
            it.id,
            it.userId,
            it.text === 'boom' ? null : `bulk ${it.text}`,
            s.now,
          ]);
        }
        return out;
      },
    };

    const writer = () =>
      new StreamWriter(
        t.hub.internals.db,
        t.hub.internals.clock,
        t.hub.internals.realtime,
        t.hub.internals.audit,
        createLogger('silent'),
      );

    it('one refused item fails alone; an item handed back runs by itself; the rest commit together', async () => {
      const u = await t.makeUser();
      const socket = (await TestSocket.authed(t.hub.url(), u.token)).socket;
      const w = writer();
      const items = ['один', 'refuse', 'alone', 'два'].map((text) => ({
        id: randomUUID(),
        userId: u.id,
        text,
      }));
      const settled = await Promise.allSettled(items.map((it) => w.submitBulk(kind, it)));
      assert.deepEqual(
        settled.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as AppError).code)),
        ['bulk один', 'messaging.not_allowed', 'alone alone', 'bulk два'],
      );
      const stored = await rows(
        `SELECT id, text FROM quick_reply WHERE user_id = '${u.id}' ORDER BY text`,
      );
      assert.deepEqual(
        stored.map((r) => r.text),
        ['alone alone', 'bulk два', 'bulk один'],
      );
      const audited = await rows(
        `SELECT target_id FROM audit_log WHERE action = 'test.bulk' AND target_id IN (${items.map((i) => `'${i.id}'`).join(',')})`,
      );
      assert.equal(audited.length, 3);
      const events = await socket.waitEvents(3);
      assert.deepEqual(
        events.map((e) => e.data.id),
        [items[0]!.id, items[3]!.id, items[2]!.id],
        'published in stream order: the bulk, then the item run alone',
      );
      const seqs = events.map((e) => e.seq);
      assert.deepEqual(seqs, [seqs[0], seqs[0] + 1, seqs[0] + 2], 'no position skipped');
      assert.equal((await verifyAuditChain(t.hub.internals.db.manager)).ok, true);
      socket.ws.close();
    });

    for (const mixed of [false, true]) {
      it(`a shared write that fails undoes the run and every item runs alone: only the bad one fails (${mixed ? 'after another unit: savepoint' : 'the whole batch: retried'})`, async () => {
        const u = await t.makeUser();
        const socket = (await TestSocket.authed(t.hub.url(), u.token)).socket;
        const w = writer();
        const items = ['три', 'boom', 'четыре'].map((text) => ({
          id: randomUUID(),
          userId: u.id,
          text,
        }));
        const first = mixed
          ? w.submit(async (s) => {
              s.emit(s.next(), { userId: u.id }, 'test.bulk', { id: 'first' }, [u.id]);
              return 'first';
            })
          : null;
        const settled = await Promise.allSettled(items.map((it) => w.submitBulk(kind, it)));
        assert.equal(await first, mixed ? 'first' : null);
        assert.equal(settled[0]!.status, 'fulfilled');
        assert.equal((settled[0] as PromiseFulfilledResult<string>).value, 'alone три');
        assert.equal(settled[1]!.status, 'rejected');
        assert.equal((settled[2] as PromiseFulfilledResult<string>).value, 'alone четыре');
        const stored = await rows(
          `SELECT text FROM quick_reply WHERE user_id = '${u.id}' ORDER BY text`,
        );
        assert.deepEqual(
          stored.map((r) => r.text),
          ['alone три', 'alone четыре'].sort(),
        );
        const events = await socket.waitEvents(mixed ? 3 : 2);
        assert.deepEqual(
          events.map((e) => e.data.id),
          [...(mixed ? ['first'] : []), items[0]!.id, items[2]!.id],
        );
        const seqs = events.map((e) => e.seq);
        assert.deepEqual(
          seqs,
          seqs.map((_, k) => seqs[0] + k),
          'the failed unit left no gap',
        );
        // The hub's own writer may have taken later positions meanwhile (presence,
        // notifications); every position past ours must then hold its event.
        const last = seqs[seqs.length - 1]!;
        const [head] = await rows('SELECT seq FROM stream_head WHERE id = 1');
        const [later] = await rows(
          `SELECT COUNT(*) AS n FROM stream_event WHERE seq > ${last} AND seq <= ${Number(head.seq)}`,
        );
        assert.equal(
          Number(later.n),
          Number(head.seq) - last,
          'no position taken without an event',
        );
        assert.equal((await verifyAuditChain(t.hub.internals.db.manager)).ok, true);
        socket.ws.close();
      });
    }
  });
});
