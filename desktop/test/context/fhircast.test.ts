import assert from 'node:assert/strict';
import type { PatientContextUpdate } from '../../src/common/patient-context.js';
import { FhircastAdapter, type FhircastOptions } from '../../src/context/fhircast.js';
import { encounterEntry, patientEntry, TestFhircastHub } from './support/fhircast-hub.js';
import { ManualScheduler, RecordingLog, until } from './support/kit.js';

const MRN = 'urn:oid:1.2.643.5.1.13.13.12.2.77.7973';
const TOPIC = 'DrXRay-session-42';
const NAME = { name: [{ family: 'Иванов', given: ['Иван'] }] };

describe('context: FHIRcast adapter against a real STU3 test hub', function () {
  let hub: TestFhircastHub;
  let adapter: FhircastAdapter | null = null;
  let scheduler: ManualScheduler;
  let log: RecordingLog;
  let updates: PatientContextUpdate[];

  beforeEach(async () => {
    hub = await new TestFhircastHub().start();
    scheduler = new ManualScheduler();
    log = new RecordingLog();
    updates = [];
  });

  afterEach(async () => {
    await adapter?.stop();
    adapter = null;
    await hub.close();
  });

  function make(extra: Partial<FhircastOptions> = {}): FhircastAdapter {
    adapter = new FhircastAdapter({
      hubUrl: hub.url,
      topic: TOPIC,
      leaseSeconds: 600,
      identifierSystem: MRN,
      log,
      scheduler,
      random: () => 0,
      onUpdate: (u) => updates.push(u),
      ...extra,
    });
    return adapter;
  }

  const last = () => updates.at(-1);
  const confirmedAndSynced = () => until(() => adapter?.isSynced === true, 'the channel to sync');

  it('subscribes with the STU3 form, is confirmed, reads the current context and follows Patient-open with an ack', async () => {
    hub.currentContext = [patientEntry([{ system: MRN, value: 'A-1' }], NAME)];
    await make().start();
    await confirmedAndSynced();
    assert.deepEqual(hub.requests[0], {
      'hub.channel.type': 'websocket',
      'hub.mode': 'subscribe',
      'hub.topic': TOPIC,
      'hub.events': 'Patient-open,Patient-close,Encounter-open,Encounter-close',
      'hub.lease_seconds': '600',
      'subscriber.name': 'Konsilium',
    });
    assert.equal(hub.contextReads, 1);
    assert.equal(last()?.state, 'active');
    assert.equal(last()?.context?.value, 'A-1');
    assert.equal(last()?.context?.display, 'Иванов Иван');
    assert.equal(last()?.context?.source, 'fhircast');

    hub.sendEvent(
      'Patient-open',
      [patientEntry([{ value: 'other' }, { system: MRN, value: 'B-2' }])],
      {
        id: 'ev-1',
        timestamp: '2026-11-27T10:00:01.000Z',
      },
    );
    await until(() => hub.acks.length === 1, 'the ack');
    assert.deepEqual(hub.acks[0], { id: 'ev-1', status: '200' });
    assert.equal(last()?.context?.value, 'B-2', 'the configured identifier system wins');
    assert.equal(last()?.context?.at, '2026-11-27T10:00:01.000Z');
    assert.ok(
      !log.text().includes('B-2') && !log.text().includes('Иванов'),
      'no patient data in logs',
    );
  });

  it('applies events in timestamp order, drops older and duplicate events, and acks every one', async () => {
    hub.behaviour.contextRead = false;
    await make().start();
    await until(
      () => hub.connections === 1 && updates.length === 0 && hub.requests.length === 1,
      'connect',
    );
    await until(() => log.entries.some((e) => e.msg.includes('confirmed')), 'confirmation');
    const open = (value: string, id: string, timestamp: string) =>
      hub.sendEvent('Patient-open', [patientEntry([{ system: MRN, value }])], { id, timestamp });
    open('P-2', 'e2', '2026-11-27T10:00:02Z');
    open('P-1', 'e1', '2026-11-27T10:00:01Z'); // arrives late: older than the applied one
    open('P-2b', 'e2', '2026-11-27T10:00:03Z'); // same id again: a retry
    open('P-3', 'e3', '2026-11-27T10:00:03Z');
    await until(() => hub.acks.length === 4, 'four acks');
    assert.deepEqual(
      hub.acks.map((a) => a.id),
      ['e2', 'e1', 'e2', 'e3'],
    );
    assert.deepEqual(
      updates.map((u) => u.context?.value),
      ['P-2', 'P-3'],
    );
    assert.ok(log.reasons().includes('fhircast.stale_event'));
    assert.ok(log.reasons().includes('fhircast.duplicate'));
  });

  it('follows encounters and closes, tolerating lower-case and STU1 event names and zone-less timestamps', async () => {
    hub.behaviour.contextRead = false;
    await make().start();
    await until(() => log.entries.some((e) => e.msg.includes('confirmed')), 'confirmation');
    let n = 0;
    const ev = (name: string, context: unknown, ts: string) =>
      hub.sendEvent(name, context, { id: `x${++n}`, timestamp: ts });
    ev('patient-open', [patientEntry([{ system: MRN, value: 'P-1' }])], '2018-01-08T01:37:05.14');
    ev(
      'Encounter-open',
      [patientEntry([{ system: MRN, value: 'P-1' }]), encounterEntry('E-1', 'urn:enc')],
      '2018-01-08T01:37:06',
    );
    ev('encounter-close', [encounterEntry('E-1', 'urn:enc')], '2018-01-08T01:37:07Z');
    ev(
      'Patient-close',
      [patientEntry([{ system: MRN, value: 'SOMEONE-ELSE' }])],
      '2018-01-08T01:37:08Z',
    );
    ev('PATIENT-CLOSE', [patientEntry([{ system: MRN, value: 'P-1' }])], '2018-01-08T01:37:09Z');
    ev(
      'open-patient-chart',
      {
        key: 'patient',
        resource: { resourceType: 'Patient', id: 'r9', identifier: [{ value: '530002010' }] },
      },
      '2018-01-08T01:37:10+03:00',
    );
    await until(() => hub.acks.length === 6, 'six acks');
    assert.deepEqual(
      updates.map((u) => [u.state, u.context?.value, u.context?.encounter?.value]),
      [
        ['active', 'P-1', undefined],
        ['active', 'P-1', 'E-1'],
        ['active', 'P-1', undefined],
        ['none', undefined, undefined],
      ],
      'the close of another patient is ignored; the last event is older (+03:00) and dropped',
    );
    assert.equal(
      updates[0]?.context?.at,
      '2018-01-08T01:37:05.140Z',
      'a zone-less timestamp is UTC',
    );
    assert.ok(log.reasons().includes('fhircast.close_mismatch'));
    assert.ok(log.reasons().includes('fhircast.stale_event'));
  });

  it('falls back to a bare identifier or the resource id under the configured system', async () => {
    hub.behaviour.contextRead = false;
    await make({ identifierSystem: undefined, resourceIdSystem: 'urn:mis:patient-id' }).start();
    await until(() => log.entries.some((e) => e.msg.includes('confirmed')), 'confirmation');
    hub.sendEvent(
      'Patient-open',
      [{ key: 'patient', resource: { resourceType: 'Patient', id: 'ewUbXT9' } }],
      {
        id: 'a',
        timestamp: '2026-11-27T10:00:00Z',
      },
    );
    hub.sendEvent('Patient-open', [patientEntry([{ system: 'urn:x', value: 'X-1' }])], {
      id: 'b',
      timestamp: '2026-11-27T10:00:01Z',
    });
    hub.sendEvent('Patient-open', [{ key: 'patient', resource: { resourceType: 'Patient' } }], {
      id: 'c',
      timestamp: '2026-11-27T10:00:02Z',
    });
    await until(() => hub.acks.length === 3, 'acks');
    assert.deepEqual(
      updates.map((u) => [u.context?.system, u.context?.value]),
      [
        ['urn:mis:patient-id', 'ewUbXT9'],
        ['urn:x', 'X-1'],
      ],
    );
    assert.ok(log.reasons().includes('fhircast.no_identifier'));
  });

  it('renews the subscription on the same channel before the granted lease ends', async () => {
    hub.behaviour.grantedLease = 120;
    await make().start();
    await confirmedAndSynced();
    assert.deepEqual(scheduler.delays(), [96_000], 'renewal armed at 80 % of the granted lease');
    scheduler.run((ms) => ms === 96_000);
    await until(() => hub.requests.length === 2, 'the renewal request');
    const renewal = hub.requests[1]!;
    assert.equal(renewal['hub.mode'], 'subscribe');
    assert.match(renewal['hub.channel.endpoint'] ?? '', /^ws:\/\/127\.0\.0\.1:\d+\/ws\/c1$/);
    await until(() => scheduler.delays().length === 1, 'the next renewal');
    assert.deepEqual(scheduler.delays(), [96_000]);
    assert.equal(hub.connections, 1, 'the channel was kept');
    hub.sendEvent('Patient-open', [patientEntry([{ system: MRN, value: 'R-1' }])], {
      id: 'r1',
      timestamp: '2026-11-27T10:00:00Z',
    });
    await until(() => last()?.context?.value === 'R-1', 'an event after renewal');
  });

  it('retries a failed renewal on the open channel without losing the context', async () => {
    hub.currentContext = [patientEntry([{ system: MRN, value: 'K-1' }])];
    await make().start();
    await confirmedAndSynced();
    hub.behaviour.subscribeStatus = 503;
    scheduler.run();
    await until(() => log.reasons().includes('fhircast.subscribe_503'), 'the failed renewal');
    await until(() => scheduler.delays()[0] === 1000, 'the renewal retry');
    assert.equal(last()?.state, 'active', 'the channel is still open: nothing lost');
    hub.behaviour.subscribeStatus = null;
    scheduler.run();
    await until(() => scheduler.delays()[0] === 480_000, 'the next regular renewal');
    assert.equal(hub.requests.length, 3);
    assert.equal(hub.connections, 1);
  });

  it('moves to the new channel when a renewal returns another endpoint', async () => {
    hub.currentContext = [patientEntry([{ system: MRN, value: 'N-1' }])];
    await make().start();
    await confirmedAndSynced();
    hub.behaviour.newChannelOnRenewal = true;
    scheduler.run();
    await until(() => hub.connections === 2 && hub.contextReads === 2, 'the new channel');
    await until(() => hub.sockets().length === 1, 'the old channel closed');
    hub.sendEvent('Patient-open', [patientEntry([{ system: MRN, value: 'N-2' }])], {
      id: 'n2',
      timestamp: '2026-11-27T10:00:00Z',
    });
    await until(() => last()?.context?.value === 'N-2', 'an event on the new channel');
    assert.ok(!updates.some((u) => u.state === 'lost'), 'never lost while switching');
  });

  it('goes on without a confirmation frame after a while, acks heartbeats, and clears on user logout', async () => {
    hub.behaviour.confirm = false;
    hub.currentContext = [patientEntry([{ system: MRN, value: 'H-1' }])];
    await make().start();
    await until(() => hub.connections === 1, 'the channel');
    await until(() => scheduler.delays().includes(5000), 'the confirmation wait');
    assert.equal(hub.contextReads, 0);
    scheduler.run((ms) => ms === 5000);
    await until(() => last()?.context?.value === 'H-1', 'the context read');
    assert.deepEqual(scheduler.delays(), [480_000], 'renewal armed with the requested lease');
    hub.sendEvent('heartbeat', [], { id: 'hb1', timestamp: '2026-11-27T10:00:00Z' });
    hub.sendEvent('SyncError', [], { id: 'se1', timestamp: '2026-11-27T10:00:00Z' });
    hub.sendEvent('userlogout', [], { id: 'lo1', timestamp: '2026-11-27T10:00:01Z' });
    await until(() => hub.acks.length === 3, 'acks');
    assert.deepEqual(last(), { state: 'none', context: null });
    assert.ok(log.reasons().includes('fhircast.syncerror'));
  });

  it('marks the context lost when the hub drops the socket, backs off, re-subscribes and re-syncs', async () => {
    hub.currentContext = [patientEntry([{ system: MRN, value: 'A-1' }])];
    await make().start();
    await confirmedAndSynced();
    hub.dropSockets();
    await until(() => last()?.state === 'lost', 'lost');
    assert.deepEqual(last(), {
      state: 'lost',
      context: updates[0]!.context,
      reason: 'fhircast.disconnected',
    });
    assert.deepEqual(scheduler.delays(), [1000], 'first retry after the initial backoff');
    hub.currentContext = [patientEntry([{ system: MRN, value: 'A-2' }])];
    scheduler.run();
    await until(() => last()?.state === 'active', 'active again');
    assert.equal(
      last()?.context?.value,
      'A-2',
      'the context read brings the patient opened meanwhile',
    );
    assert.equal(hub.requests.length, 2);
    assert.equal(hub.connections, 2);
  });

  it('stays lost (unsynced) after a reconnect when the hub has no context read, until the next event', async () => {
    hub.behaviour.contextRead = false;
    await make().start();
    await until(() => log.entries.some((e) => e.msg.includes('confirmed')), 'confirmation');
    hub.sendEvent('Patient-open', [patientEntry([{ system: MRN, value: 'A-1' }])], {
      id: 'a',
      timestamp: '2026-11-27T10:00:00Z',
    });
    await until(() => last()?.state === 'active', 'active');
    hub.dropSockets();
    await until(() => last()?.state === 'lost', 'lost');
    scheduler.run();
    await until(() => last()?.reason === 'fhircast.unsynced', 'unsynced');
    assert.equal(last()?.context?.value, 'A-1', 'the last patient is kept but flagged');
    hub.sendEvent('Patient-open', [patientEntry([{ system: MRN, value: 'A-3' }])], {
      id: 'b',
      timestamp: '2026-11-27T10:00:05Z',
    });
    await until(() => last()?.state === 'active', 'active after the event');
    assert.equal(last()?.context?.value, 'A-3');
  });

  it('ignores a malformed current-context body and stays flagged until an event', async () => {
    await make().start();
    await confirmedAndSynced();
    hub.sendEvent('Patient-open', [patientEntry([{ system: MRN, value: 'M-1' }])], {
      id: 'm',
      timestamp: '2026-11-27T10:00:00Z',
    });
    await until(() => last()?.context?.value === 'M-1', 'active');
    hub.currentContext = [{ key: 42 }];
    hub.dropSockets();
    await until(() => last()?.state === 'lost', 'lost');
    scheduler.run();
    await until(() => hub.contextReads === 2, 'the second read');
    await until(() => last()?.reason === 'fhircast.unsynced', 'flagged as unsynced');
    assert.ok(log.reasons().includes('fhircast.context_shape'));
    assert.equal(last()?.context?.value, 'M-1');
  });

  it('logs and ignores malformed frames (non-JSON, wrong shapes, binary, huge, bad timestamp) and keeps working', async () => {
    hub.behaviour.contextRead = false;
    await make().start();
    await until(() => log.entries.some((e) => e.msg.includes('confirmed')), 'confirmation');
    hub.send('not json {');
    hub.send('[1,2,3]');
    hub.send('"just a string"');
    hub.send({ hello: 'world' });
    hub.send({ 'hub.mode': 42 });
    hub.send({
      id: 'm1',
      timestamp: '2026-11-27T10:00:00Z',
      event: { 'hub.event': 'Patient-open', context: 'nope' },
    });
    hub.send({
      id: 'm2',
      timestamp: 'yesterday',
      event: { 'hub.event': 'Patient-open', context: [] },
    });
    hub.send(Buffer.from([0xde, 0xad]), { binary: true });
    hub.send(JSON.stringify({ pad: 'x'.repeat(300 * 1024) }));
    hub.sendEvent('Patient-open', [patientEntry([{ system: MRN, value: 'SECRET-1' }])], {
      id: 'ok',
      timestamp: '2026-11-27T10:00:00Z',
      topic: 'another-session',
    });
    hub.sendEvent('Patient-open', [patientEntry([{ system: MRN, value: 'GOOD-1' }])], {
      id: 'ok2',
      timestamp: '2026-11-27T10:00:00Z',
    });
    await until(() => last()?.context?.value === 'GOOD-1', 'the good event');
    await until(() => hub.acks.length === 4, 'the acks');
    assert.equal(updates.length, 1);
    const reasons = log.reasons();
    for (const r of [
      'fhircast.frame_not_json',
      'fhircast.frame_shape',
      'fhircast.event_malformed',
      'fhircast.bad_timestamp',
      'fhircast.frame_binary',
      'fhircast.frame_too_large',
      'fhircast.topic_mismatch',
    ]) {
      assert.ok(reasons.includes(r), r);
    }
    assert.deepEqual(
      hub.acks.map((a) => [a.id, a.status]),
      [
        ['m1', '400'],
        ['m2', '400'],
        ['ok', '200'],
        ['ok2', '200'],
      ],
    );
    assert.equal(hub.connections, 1, 'no reconnect was needed');
    assert.ok(!log.text().includes('SECRET-1') && !log.text().includes('GOOD-1'));
  });

  it('survives a frame beyond the channel limit by reconnecting', async () => {
    hub.behaviour.contextRead = false;
    await make().start();
    await until(() => log.entries.some((e) => e.msg.includes('confirmed')), 'confirmation');
    hub.send('x'.repeat(2 * 1024 * 1024));
    await until(() => last()?.reason === 'fhircast.disconnected', 'disconnect');
    scheduler.run();
    await until(
      () => hub.connections === 2 && last()?.reason === 'fhircast.unsynced',
      'reconnected',
    );
  });

  it('treats a denial as a lost subscription, logs the reason and retries with growing backoff', async () => {
    hub.behaviour.deny = true;
    await make().start();
    await until(() => last()?.reason === 'fhircast.denied', 'denied');
    assert.ok(
      log.entries.some((e) => (e.obj as { hubReason?: string }).hubReason === 'session unknown'),
    );
    assert.deepEqual(scheduler.delays(), [1000]);
    scheduler.run();
    await until(() => hub.connections === 2, 'second attempt');
    await until(() => scheduler.delays()[0] === 2000, 'doubled backoff');
    hub.behaviour.deny = false;
    hub.currentContext = [patientEntry([{ system: MRN, value: 'D-1' }])];
    scheduler.run();
    await until(() => last()?.state === 'active', 'active after the hub accepts');
    assert.equal(last()?.context?.value, 'D-1');
  });

  it('handles a failing hub (HTTP 500), an unreachable hub and the older plain-body endpoint', async () => {
    hub.behaviour.subscribeStatus = 500;
    await make().start();
    assert.equal(last()?.state, 'lost');
    assert.equal(last()?.reason, 'fhircast.subscribe_500');
    hub.behaviour.subscribeStatus = null;
    hub.behaviour.endpointStyle = 'body';
    hub.currentContext = [
      { key: 'report', resource: { resourceType: 'DiagnosticReport', id: 'd' } },
    ];
    scheduler.run();
    await confirmedAndSynced();
    assert.deepEqual(last(), { state: 'none', context: null }, 'no patient in the hub context');

    const dead = new FhircastAdapter({
      hubUrl: 'http://127.0.0.1:1/fhircast',
      topic: TOPIC,
      log,
      scheduler: new ManualScheduler(),
      onUpdate: (u) => updates.push(u),
    });
    await dead.start();
    assert.equal(last()?.reason, 'fhircast.unreachable');
    await dead.stop();
  });

  it('refuses an endpoint that is not a WebSocket URL and retries', async () => {
    for (const [endpoint, reason] of [
      ['http://127.0.0.1:1/ws', 'fhircast.bad_endpoint'],
      ['javascript:alert(1)', 'fhircast.bad_endpoint'],
      ['not a url', 'fhircast.bad_endpoint'],
      ['', 'fhircast.bad_endpoint'],
    ] as const) {
      hub.behaviour.endpointOverride = endpoint;
      hub.behaviour.endpointStyle = 'body';
      const a = new FhircastAdapter({
        hubUrl: hub.url,
        topic: TOPIC,
        log,
        scheduler: new ManualScheduler(),
        onUpdate: (u) => updates.push(u),
      });
      await a.start();
      assert.deepEqual(last(), { state: 'lost', context: null, reason }, endpoint);
      await a.stop();
    }
    assert.equal(hub.connections, 0);
  });

  it('unsubscribes and closes everything on stop', async () => {
    await make().start();
    await confirmedAndSynced();
    const before = updates.length;
    await adapter!.stop();
    adapter = null;
    assert.equal(updates.length, before, 'stopping publishes no lost state');
    assert.equal(hub.requests.at(-1)?.['hub.mode'], 'unsubscribe');
    assert.deepEqual(scheduler.delays(), [], 'no timer left');
    await until(() => hub.sockets().length === 0, 'the channel to close');
  });
});
