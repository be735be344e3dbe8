import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { AlertView } from '@konsilium/shared';
import { MllpDecoder, mllpFrame } from '../src/modules/results/index.js';
import { SYSTEM } from '../src/platform/http/actor.js';
import { escalationWorld, ids, send, type World } from './escalation/setup.js';
import { eachDatabase } from './support/databases.js';
import { makeOrgAndSite } from './support/factories.js';
import { startTestHub, type TestHub } from './support/hub.js';
import { TestSocket } from './support/ws.js';

/*
 * Regression (issue 6): right after an alert starts, its view — the list, the
 * alert by id and the first `alert.updated` — shows the people asked, the step
 * the plan waits at and when the next step fires, as the timeline does.
 */

const VENDOR_A = readFileSync(
  new URL('../../test/fixtures/hl7/vendor-a-critical-utf8.hl7', import.meta.url),
  'utf8',
);

/** The built-in critical plan: notify, then wait 300 s (the hub's clock is 09:00Z). */
const WAITING = { index: 1, type: 'wait', nextAt: '2026-11-27T09:05:00.000Z' };

async function mllp(port: number, frame: Buffer): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  const decoder = new MllpDecoder(1024 * 1024);
  const ack = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no ACK')), 15000);
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      const [f] = decoder.push(chunk).frames;
      if (!f) return;
      clearTimeout(timer);
      resolve(f.toString('utf8'));
    });
    socket.write(frame);
  });
  socket.destroy();
  return ack
    .split('\r')
    .find((s) => s.startsWith('MSA|'))!
    .split('|')[1]!;
}

function checkStarted(a: AlertView, targets: string[], where: string): void {
  assert.deepEqual(ids(a.targets), [...targets].sort(), `${where}: targets`);
  assert.deepEqual(a.step, WAITING, `${where}: step`);
  assert.deepEqual(
    a.timeline.map((e) => e.type),
    ['started', 'notified', 'escalated'],
    `${where}: timeline`,
  );
}

eachDatabase('alert view right after start', (kind) => {
  let t: TestHub;
  let w: World;
  beforeEach(async () => {
    t = await startTestHub(kind, { mllpPort: 0 });
    w = await escalationWorld(t);
  });
  afterEach(async () => t.close());

  it('a plain critical message: targets, step and nextAt in the list, by id and in alert.updated', async () => {
    const si = (await TestSocket.authed(t.hub.url(), w.ivanov.token)).socket;
    const msg = await send(t, w.sidorov.token, w.conversationId, { priority: 'critical' });
    const expected = [w.ivanov.id, w.petrov.id];
    const first = await si.next((f) => f.event === 'alert.updated');
    si.close();
    checkStarted(first.data as AlertView, expected, 'alert.updated');
    const list = await t.api.get('/api/v1/alerts', { token: w.ivanov.token });
    assert.equal(list.status, 200, JSON.stringify(list.body));
    const a = (list.body.items as AlertView[]).find((x) => x.messageId === msg);
    assert.ok(a, 'listed for its target');
    checkStarted(a, expected, 'list');
    const one = await t.api.get(`/api/v1/alerts/${a.id}`, { token: w.petrov.token });
    assert.equal(one.status, 200, JSON.stringify(one.body));
    checkStarted(one.body as AlertView, expected, 'by id');
  });

  it('a critical result alert: targets, step and nextAt in the list, by id and in alert.updated', async function () {
    const { site } = await makeOrgAndSite(t);
    await t.hub.internals.directory.createUnit(SYSTEM, {
      kind: 'department',
      name: 'Реанимация',
      code: 'ICU',
      parentId: site.id,
    });
    const smirnova = await t.makeUser({
      lastName: 'Смирнова',
      firstName: 'Анна',
      roles: ['clinician'],
      externalIds: [{ system: 'HOSP', value: 'D1001' }],
    });
    const si = (await TestSocket.authed(t.hub.url(), smirnova.token)).socket;
    const port = t.hub.internals.mllpAddress()!.port;
    assert.equal(await mllp(port, mllpFrame(Buffer.from(VENDOR_A, 'utf8'))), 'AA');
    const first = await si.next((f) => f.event === 'alert.updated', 15000);
    si.close();
    checkStarted(first.data as AlertView, [smirnova.id], 'alert.updated');
    assert.equal((first.data as AlertView).kind, 'critical_result');
    await t.hub.internals.alerting.alerts.idle();
    const list = await t.api.get('/api/v1/alerts', { token: smirnova.token });
    assert.equal(list.status, 200, JSON.stringify(list.body));
    const items = list.body.items as AlertView[];
    assert.equal(items.length, 1);
    checkStarted(items[0]!, [smirnova.id], 'list');
    assert.equal(items[0]!.result?.value, '6.9');
    const one = await t.api.get(`/api/v1/alerts/${items[0]!.id}`, { token: smirnova.token });
    assert.equal(one.status, 200, JSON.stringify(one.body));
    checkStarted(one.body as AlertView, [smirnova.id], 'by id');
  });
});
