import assert from 'node:assert/strict';
import { PushGate, isPushSignal, type GateMessage } from '../src/common/push-gate.js';

const push = (messageId: string, over: Record<string, unknown> = {}) => ({
  messageId,
  conversationId: 'c1',
  priority: 'urgent',
  sound: true,
  repeatUntilAck: false,
  reason: 'policy',
  ...over,
});

describe('desktop: notifications follow the hub policy (notify.push)', () => {
  it('without a policy on the hub, every new message goes to the client rules', () => {
    const gate = new PushGate<GateMessage>();
    const m = { id: 'm1', conversationId: 'c1', priority: 'normal' as const };
    assert.deepEqual(gate.onMessage(m), { message: m, push: null });
    assert.equal(gate.onPush(push('m1')), null, 'pushes are ignored until the policy is known');
  });

  it('with a policy, only pushes notify — once each, with the message when it was seen', () => {
    const gate = new PushGate<GateMessage>();
    gate.mode = 'push';
    const m = { id: 'm1', conversationId: 'c1', priority: 'urgent' as const };
    assert.equal(gate.onMessage(m), null, 'a message alone (e.g. held by do-not-disturb) is quiet');
    const d = gate.onPush(push('m1'));
    assert.equal(d?.message, m);
    assert.equal(d?.push?.sound, true);
    assert.equal(gate.onPush(push('m1')), null, 'a repeated event does not notify twice');
    const late = gate.onPush(push('m2', { priority: 'critical', reason: 'max_hold' }));
    assert.equal(late?.message, null, 'a push for a message not seen carries only ids');
    assert.equal(late?.push?.priority, 'critical');
    gate.reset();
    assert.equal(gate.mode, 'messages');
  });

  it('rejects malformed push events', () => {
    assert.equal(isPushSignal(push('m1')), true);
    assert.equal(isPushSignal(null), false);
    assert.equal(isPushSignal(push('m1', { priority: 'loud' })), false);
    assert.equal(isPushSignal(push('m1', { sound: 'yes' })), false);
    assert.equal(isPushSignal({ messageId: 'm1' }), false);
    const gate = new PushGate<GateMessage>();
    gate.mode = 'push';
    assert.equal(gate.onPush({ messageId: 'm1' }), null);
  });
});
