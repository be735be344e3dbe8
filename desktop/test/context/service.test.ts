import assert from 'node:assert/strict';
import type { PatientContextUpdate } from '../../src/common/patient-context.js';
import {
  contextConfigSchema,
  createContextService,
  generateLoopbackSecret,
  type ContextService,
} from '../../src/context/index.js';
import { patientEntry, TestFhircastHub } from './support/fhircast-hub.js';
import { rawRequest } from './support/http.js';
import { ManualScheduler, RecordingLog, until } from './support/kit.js';

const SYS = 'urn:oid:1.2.643.5.1.13.13.12.2.77.7973';

describe('context: service combining the adapters', () => {
  let log: RecordingLog;
  let updates: PatientContextUpdate[];
  let service: ContextService | null = null;

  beforeEach(() => {
    log = new RecordingLog();
    updates = [];
  });

  afterEach(async () => {
    await service?.stop();
    service = null;
  });

  it('takes deep links and argv, publishes to subscribers and ignores bad input without changing anything', async () => {
    service = createContextService({
      log,
      defaultSystem: SYS,
      now: () => new Date('2026-11-27T10:00:00Z'),
    });
    await service.start();
    const off = service.subscribe((u) => updates.push(u));
    assert.deepEqual(service.current(), { state: 'none', context: null });

    assert.equal(service.acceptUrl('konsilium://patient?value=U-1&display=Secret+Name'), true);
    assert.equal(service.current().state, 'active');
    assert.equal(service.current().context?.value, 'U-1');
    assert.equal(service.current().context?.system, SYS);

    assert.equal(service.acceptUrl('javascript:alert(1)'), false);
    assert.equal(service.acceptUrl('konsilium://patient?value=U-9&value=U-8'), false);
    assert.equal(service.acceptArgv(['exe', '--patient-value=A-1', '--patient-value=A-2']), false);
    assert.equal(service.current().context?.value, 'U-1', 'rejected input changed nothing');

    assert.equal(service.acceptArgv(['exe', '--flag']), false, 'an ordinary launch');
    assert.equal(service.acceptArgv(['exe', '--patient-value=A-1']), true);
    assert.equal(
      service.acceptArgv(['exe', '--patient-value=A-1']),
      true,
      'the same patient again',
    );
    assert.deepEqual(
      updates.map((u) => u.context?.value),
      ['U-1', 'A-1'],
      'an unchanged context is not published twice',
    );
    off();
    service.acceptUrl('konsilium://patient?value=U-2');
    assert.equal(updates.length, 2, 'unsubscribed listeners hear nothing');

    assert.deepEqual(log.reasons(), ['url.scheme', 'url.duplicate_param', 'argv.duplicate_param']);
    assert.ok(!/U-1|U-9|A-1|Secret/.test(log.text()), 'no patient data in logs');
  });

  it('runs from a validated configuration as the shell loads it', async () => {
    const hub = await new TestFhircastHub().start();
    try {
      hub.currentContext = [patientEntry([{ system: SYS, value: 'C-1' }])];
      const config = contextConfigSchema.parse({
        fhircast: { hubUrl: hub.url, topic: 'ws-1', identifierSystem: SYS },
        defaultSystem: SYS,
      });
      service = createContextService({ ...config, log, scheduler: new ManualScheduler() });
      await service.start();
      await until(() => service!.current().context?.value === 'C-1', 'the hub context');
      assert.equal(hub.requests[0]?.['hub.lease_seconds'], '3600');
    } finally {
      await service?.stop();
      service = null;
      await hub.close();
    }
  });

  it('keeps working when a listener throws', async () => {
    service = createContextService({ log });
    service.subscribe(() => {
      throw new Error('ui gone');
    });
    service.subscribe((u) => updates.push(u));
    assert.equal(service.acceptUrl(`konsilium://patient?system=${SYS}&value=1`), true);
    assert.equal(updates.length, 1);
    assert.ok(log.reasons().includes('context.listener_failed'));
  });

  it('combines FHIRcast and loopback: last writer wins, a dropped channel flags the shown patient as lost', async () => {
    const hub = await new TestFhircastHub().start();
    const scheduler = new ManualScheduler();
    const secret = generateLoopbackSecret();
    try {
      hub.currentContext = [patientEntry([{ system: SYS, value: 'F-1' }])];
      service = createContextService({
        log,
        scheduler,
        fhircast: { hubUrl: hub.url, topic: 't-1', identifierSystem: SYS, leaseSeconds: 300 },
        loopback: { port: 0, secret },
      });
      service.subscribe((u) => updates.push(u));
      await service.start();
      await until(() => service!.current().context?.value === 'F-1', 'the FHIRcast context');

      const port = service.loopbackPort();
      assert.ok(port > 0);
      const res = await rawRequest({
        port,
        method: 'POST',
        path: '/context',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ system: SYS, value: 'L-1' }),
      });
      assert.equal(res.status, 204);
      assert.equal(service.current().context?.source, 'loopback');

      hub.dropSockets();
      await until(() => service!.current().state === 'lost', 'lost');
      assert.equal(service.current().context?.value, 'L-1', 'the shown patient is kept, flagged');
      assert.equal(service.current().reason, 'fhircast.disconnected');

      hub.currentContext = [patientEntry([{ system: SYS, value: 'F-2' }])];
      scheduler.run();
      await until(() => service!.current().state === 'active', 're-synced');
      assert.equal(service.current().context?.value, 'F-2');

      const del = await rawRequest({
        port,
        method: 'DELETE',
        path: '/context',
        headers: { authorization: `Bearer ${secret}` },
      });
      assert.equal(del.status, 204);
      assert.deepEqual(service.current(), { state: 'none', context: null });
      assert.deepEqual(
        updates.map((u) => u.state),
        ['active', 'active', 'lost', 'active', 'none'],
      );
    } finally {
      await service?.stop();
      service = null;
      await hub.close();
    }
  });

  it('starts and stops twice in one process without leaking servers or timers', async () => {
    const hub = await new TestFhircastHub().start();
    const scheduler = new ManualScheduler();
    try {
      for (let i = 0; i < 2; i++) {
        const s = createContextService({
          log,
          scheduler,
          fhircast: { hubUrl: hub.url, topic: 't-2' },
          loopback: { port: 0, secret: generateLoopbackSecret() },
        });
        await s.start();
        await until(() => hub.sockets().length === 1, 'the channel');
        const port = s.loopbackPort();
        await s.stop();
        await s.stop();
        assert.deepEqual(scheduler.delays(), []);
        await until(() => hub.sockets().length === 0, 'the channel closed');
        await assert.rejects(
          rawRequest({ port, method: 'DELETE', path: '/context' }),
          /ECONNREFUSED/,
        );
      }
    } finally {
      await hub.close();
    }
  });

  it('keeps the other adapters working when the loopback port is taken', async () => {
    const first = createContextService({
      log,
      loopback: { port: 0, secret: generateLoopbackSecret() },
    });
    await first.start();
    try {
      service = createContextService({
        log,
        loopback: { port: first.loopbackPort(), secret: generateLoopbackSecret() },
      });
      await service.start();
      assert.ok(log.reasons().includes('loopback.start_failed'));
      assert.equal(service.acceptUrl(`konsilium://patient?system=${SYS}&value=1`), true);
    } finally {
      await first.stop();
    }
  });
});

describe('context: configuration schema', () => {
  const secret = 'k'.repeat(43);

  it('accepts a full configuration and fills defaults', () => {
    const cfg = contextConfigSchema.parse({
      fhircast: { hubUrl: 'https://mis.local/fhircast', topic: 'ws-17', identifierSystem: SYS },
      loopback: { port: 47_123, secret },
      defaultSystem: SYS,
    });
    assert.deepEqual(cfg.fhircast?.events, [
      'Patient-open',
      'Patient-close',
      'Encounter-open',
      'Encounter-close',
    ]);
    assert.equal(cfg.fhircast?.leaseSeconds, 3600);
    assert.equal(cfg.loopback?.host, '127.0.0.1');
    assert.deepEqual(contextConfigSchema.parse({}), {});
  });

  const bad: Array<[string, unknown, string]> = [
    [
      'a non-loopback host',
      { loopback: { host: '0.0.0.0', port: 47_123, secret } },
      'loopback.host',
    ],
    [
      'localhost by name',
      { loopback: { host: 'localhost', port: 47_123, secret } },
      'loopback.host',
    ],
    ['a short secret', { loopback: { port: 47_123, secret: 'abc' } }, 'loopback.secret'],
    ['a privileged port', { loopback: { port: 80, secret } }, 'loopback.port'],
    ['a non-http hub', { fhircast: { hubUrl: 'ftp://mis/hub', topic: 't' } }, 'fhircast.hubUrl'],
    [
      'a javascript: hub',
      { fhircast: { hubUrl: 'javascript:alert(1)', topic: 't' } },
      'fhircast.hubUrl',
    ],
    ['an empty topic', { fhircast: { hubUrl: 'https://mis/hub', topic: ' ' } }, 'fhircast.topic'],
    [
      'a tiny lease',
      { fhircast: { hubUrl: 'https://mis/hub', topic: 't', leaseSeconds: 1 } },
      'fhircast.leaseSeconds',
    ],
    [
      'an unknown key',
      { fhircast: { hubUrl: 'https://mis/hub', topic: 't', secret: 1 } },
      'fhircast',
    ],
    ['an unknown adapter', { hl7: {} }, ''],
  ];
  for (const [name, input, path] of bad) {
    it(`rejects ${name}, naming ${path || 'the root'}`, () => {
      const r = contextConfigSchema.safeParse(input);
      assert.equal(r.success, false);
      assert.equal(r.error?.issues[0]?.path.join('.'), path);
    });
  }
});
