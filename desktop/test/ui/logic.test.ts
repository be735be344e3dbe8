import assert from 'node:assert/strict';
import type { ConversationView } from '@konsilium/shared';
import {
  applyReceipt,
  buildInbox,
  needsAck,
  notReadBy,
  unreadPriority,
  virtualWindow,
  type UiMessage,
} from '../../src/ui/data/logic.js';
import { groupConversation, uiMessage } from './fixtures.js';

const ME = 'me';
let seq = 100;

function message(over: Partial<UiMessage> = {}): UiMessage {
  seq += 1;
  return uiMessage(seq, over);
}

function conversation(id: string): ConversationView {
  return groupConversation(id, ME, 'admin');
}

describe('ui: receipts', () => {
  it('a read watermark marks every message up to it, not later ones', () => {
    const members = ['a', 'b', 'c'].map((userId) => ({ userId, deliveredAt: null, readAt: null }));
    const early = message({ authorId: ME, receipts: { total: 3, delivered: 0, read: 0, members } });
    const late = message({ authorId: ME, receipts: { total: 3, delivered: 0, read: 0, members } });
    const r = {
      conversationId: 'c1',
      userId: 'b',
      deliveredSeq: late.seq,
      deliveredAt: '2026-11-27T09:01:00.000Z',
      readSeq: early.seq,
      readAt: '2026-11-27T09:02:00.000Z',
    };
    const e = applyReceipt(early, r)!;
    assert.equal(e.read, 1);
    assert.equal(e.delivered, 1);
    const l = applyReceipt(late, r)!;
    assert.equal(l.read, 0);
    assert.equal(l.delivered, 1);
    assert.deepEqual(notReadBy({ ...early, receipts: e }), ['a', 'c']);
    // Another conversation's receipt or a repeat changes nothing (same object back).
    assert.equal(applyReceipt(early, { ...r, conversationId: 'c2' }), early.receipts);
    assert.equal(applyReceipt({ ...early, receipts: e }, r), e);
  });

  it('asks for an acknowledgement on orders and urgent/critical messages only', () => {
    assert.equal(needsAck(message()), false);
    assert.equal(needsAck(message({ priority: 'urgent' })), true);
    assert.equal(needsAck(message({ priority: 'critical' })), true);
    assert.equal(needsAck(message({ kind: 'order', priority: 'low' })), true);
    assert.equal(
      needsAck(message({ priority: 'urgent', recalledAt: '2026-11-27T09:05:00.000Z' })),
      false,
    );
  });
});

describe('ui: inbox order (INB-1)', () => {
  it('unread critical, then unread urgent, then unacknowledged orders, then other unread', () => {
    const c1 = conversation('c1');
    const c2 = conversation('c2');
    const oldOrder = message({ conversationId: 'c1', kind: 'order' });
    const readNormal = message({ conversationId: 'c1' });
    const urgent = message({ conversationId: 'c2', priority: 'urgent' });
    const normal = message({ conversationId: 'c2' });
    const critical = message({ conversationId: 'c2', priority: 'critical' });
    const mine = message({ conversationId: 'c2', authorId: ME, priority: 'critical' });
    const ackedOrder = message({
      conversationId: 'c2',
      kind: 'order',
      acks: [{ userId: ME, response: 'accepted', minutes: null, at: '2026-11-27T09:00:00.000Z' }],
    });
    const messages = new Map([
      ['c1', [oldOrder, readNormal]],
      ['c2', [urgent, normal, critical, mine, ackedOrder]],
    ]);
    const read = new Map([
      ['c1', readNormal.seq],
      ['c2', 0],
    ]);
    const inbox = buildInbox(ME, [c1, c2], messages, read);
    assert.deepEqual(
      inbox.map((i) => [i.message.id, i.reason]),
      [
        [critical.id, 'unreadUrgent'],
        [urgent.id, 'unreadUrgent'],
        [oldOrder.id, 'unackedOrder'],
        [ackedOrder.id, 'unread'],
        [normal.id, 'unread'],
      ],
    );
    assert.equal(unreadPriority(ME, messages.get('c2')!, 0), 'critical');
    assert.equal(unreadPriority(ME, messages.get('c1')!, readNormal.seq), null);
  });
});

describe('ui: virtual list window', () => {
  it('renders only the items in view plus overscan, with spacers for the rest', () => {
    const heights = new Array<number>(10_000).fill(50);
    const top = virtualWindow(heights, 0, 500, 5);
    assert.deepEqual([top.start, top.end, top.before], [0, 15, 0]);
    assert.equal(top.total, 500_000);
    const bottom = virtualWindow(heights, 500_000 - 500, 500, 5);
    assert.equal(bottom.end, 10_000);
    assert.equal(bottom.start, 10_000 - 10 - 5);
    assert.equal(bottom.after, 0);
    assert.equal(bottom.before + (bottom.end - bottom.start) * 50 + bottom.after, 500_000);
    const middle = virtualWindow(heights, 123_456, 500, 0);
    assert.ok(middle.end - middle.start <= 12);
    assert.ok(
      middle.before <= 123_456 && middle.before + (middle.end - middle.start) * 50 >= 123_956,
    );
  });

  it('handles mixed heights, an empty list and a scroll position past the end', () => {
    assert.deepEqual(virtualWindow([], 100, 500), {
      start: 0,
      end: 0,
      before: 0,
      after: 0,
      total: 0,
    });
    const w = virtualWindow([10, 300, 10, 10], 5, 100, 0);
    assert.deepEqual([w.start, w.end], [0, 2]);
    const past = virtualWindow([100, 100, 100], 10_000, 150, 0);
    assert.equal(past.end, 3);
  });
});
