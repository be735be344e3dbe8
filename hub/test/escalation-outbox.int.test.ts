import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import type { AlertTimelineEntry } from '@konsilium/shared';
import { createHub, type Hub } from '../src/hub.js';
import { AuditRowEntity } from '../src/modules/audit/index.js';
import {
  EscalationEntity,
  OutboxEntity,
  TimelineEntity,
  type OutboxRow,
} from '../src/modules/escalation/escalation.entity.js';
import { OUTBOX_LEASE_MS } from '../src/modules/escalation/escalation.outbox.js';
import { iso } from '../src/platform/clock.js';
import { FakeClock } from './support/clock.js';
import { afterCrash } from './support/crash.js';
import { eachDatabase } from './support/databases.js';
import { startTestHub, type TestHub } from './support/hub.js';
import {
  alertOf,
  escalationWorld,
  ids,
  makePolicy,
  send,
  settle,
  startSmtp,
  type World,
} from './escalation/setup.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'escalation-outbox-child.js');
const CRITICAL_MESSAGES = { priorities: ['critical'], kinds: ['message'] };
const SMTP_FROM = 'konsilium@hospital.example';

type Smtp = Awaited<ReturnType<typeof startSmtp>>;
const closeSmtp = (s: Smtp) => new Promise<void>((r) => s.server.close(() => r()));
const codeOf = (alertId: string) => `K-${alertId.slice(0, 6).toUpperCase()}`;

/** The timeline lines of one type of an escalation. */
async function lines(hub: Hub, escalationId: string, type: string): Promise<AlertTimelineEntry[]> {
  const rows = await hub.internals.db.manager.find(TimelineEntity, {
    where: { escalationId, type },
    order: { seq: 'ASC' },
  });
  return rows.map((r) => JSON.parse(r.entry) as AlertTimelineEntry);
}

eachDatabase('escalation: external sends through the outbox', (kind) => {
  let t: TestHub;
  let w: World;
  let smtp: Smtp;

  beforeEach(async () => {
    smtp = await startSmtp();
    t = await startTestHub(kind, { smtpUrl: `smtp://127.0.0.1:${smtp.port}`, smtpFrom: SMTP_FROM });
    w = await escalationWorld(t);
  });
  afterEach(async () => {
    await t.close();
    await closeSmtp(smtp);
  });

  /** The state a hub killed mid-send leaves: a pending row claimed by a node that is gone. */
  async function orphan(escalationId: string, over: Partial<OutboxRow> = {}): Promise<string> {
    const now = t.clock.now().getTime();
    const row: OutboxRow = {
      id: randomUUID(),
      escalationId,
      step: 1,
      channel: 'email',
      targets: JSON.stringify([w.backup.id]),
      state: 'pending',
      attempts: 1,
      claimedBy: randomUUID(),
      claimedUntil: iso(new Date(now + OUTBOX_LEASE_MS)),
      createdAt: iso(new Date(now)),
      doneAt: null,
      ...over,
    };
    await t.hub.internals.db.manager.insert(OutboxEntity, row);
    return row.id;
  }

  /** A critical message escalated to the backup (who has an e-mail address), no send of its own. */
  async function alertToBackup(): Promise<string> {
    const msg = await send(t, w.sidorov.token, w.conversationId, { priority: 'critical' });
    return (await alertOf(t, msg)).id;
  }

  async function plainPolicy(): Promise<void> {
    await makePolicy(t, {
      name: 'Резерв',
      unitId: null,
      match: CRITICAL_MESSAGES,
      steps: [
        { type: 'backup', target: { kind: 'user', id: w.backup.id } },
        { type: 'wait', seconds: 600 },
      ],
      failSafe: { kind: 'user', id: w.chief.id },
    });
  }

  it('an e-mail step writes its outbox row with the step; one mail, the row marked sent, nothing sent again', async () => {
    await makePolicy(t, {
      name: 'С почтой',
      unitId: null,
      match: CRITICAL_MESSAGES,
      steps: [
        { type: 'backup', target: { kind: 'user', id: w.backup.id } },
        { type: 'external', channel: 'email' },
        { type: 'wait', seconds: 600 },
      ],
      failSafe: { kind: 'user', id: w.chief.id },
    });
    const msg = await send(t, w.sidorov.token, w.conversationId, {
      priority: 'critical',
      text: 'Пациент Тестов, калий 7.1',
    });
    const a = await alertOf(t, msg);
    assert.equal(smtp.mails.length, 1);
    assert.deepEqual(smtp.mails[0]!.to, ['reserve@hospital.example']);
    assert.ok(smtp.mails[0]!.raw.includes(codeOf(a.id)));
    const m = t.hub.internals.db.manager;
    const rows = await m.findBy(OutboxEntity, { escalationId: a.id });
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.equal(row.state, 'sent');
    assert.equal(row.step, 1);
    assert.equal(row.channel, 'email');
    assert.equal(row.attempts, 1);
    assert.equal(row.claimedUntil, null);
    assert.equal(row.doneAt, iso(t.clock.now()));
    assert.deepEqual(JSON.parse(row.targets), [w.backup.id]);
    // Ids only: no message text, no patient data, no address.
    const stored = JSON.stringify(row);
    for (const secret of ['Тестов', '7.1', 'reserve@']) assert.ok(!stored.includes(secret));
    // Long after the lease: a sweep finds nothing to send again.
    t.clock.advance(10 * OUTBOX_LEASE_MS);
    assert.equal(await t.hub.internals.escalation.sweepOutbox(), 0);
    await settle(t);
    assert.equal(smtp.mails.length, 1);
    const sent = await lines(t.hub, a.id, 'external_sent');
    assert.equal(sent.length, 1);
    assert.deepEqual(ids(sent[0]!.targets), [w.backup.id]);
  });

  it("a pending row of a live node's lease is left alone; after the lease it is sent once, with one outcome line", async () => {
    await plainPolicy();
    const alertId = await alertToBackup();
    const id = await orphan(alertId);
    const hub = t.hub.internals;
    assert.equal(await hub.escalation.sweepOutbox(), 0, 'the lease still holds');
    await settle(t);
    assert.equal(smtp.mails.length, 0);
    t.clock.advance(OUTBOX_LEASE_MS + 1000);
    assert.equal(await hub.escalation.sweepOutbox(), 1);
    await settle(t);
    assert.equal(smtp.mails.length, 1);
    assert.ok(smtp.mails[0]!.raw.includes(codeOf(alertId)));
    const row = await hub.db.manager.findOneByOrFail(OutboxEntity, { id });
    assert.equal(row.state, 'sent');
    assert.equal(row.attempts, 2);
    assert.equal((await lines(t.hub, alertId, 'external_sent')).length, 1);
    const audit = await hub.db.manager.findBy(AuditRowEntity, { action: 'escalation.external' });
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.outcome, 'success');
    assert.equal((JSON.parse(audit[0]!.details) as { attempt: number }).attempt, 2);
    // The alert's view shows the line (alert.updated went out from the same data).
    assert.deepEqual(
      (
        await alertOf(
          t,
          (await hub.db.manager.findOneByOrFail(EscalationEntity, { id: alertId })).messageId,
        )
      ).timeline
        .filter((e) => e.type === 'external_sent')
        .map((e) => e.channel),
      ['email'],
    );
  });

  it('an acknowledged alert: its pending send is not sent, marked skipped with one external_skipped line', async () => {
    await plainPolicy();
    const alertId = await alertToBackup();
    const id = await orphan(alertId);
    const ack = await t.api.post(
      `/api/v1/alerts/${alertId}/ack`,
      { response: 'accepted' },
      { token: w.backup.token },
    );
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    t.clock.advance(OUTBOX_LEASE_MS + 1000);
    assert.equal(await t.hub.internals.escalation.sweepOutbox(), 1);
    await settle(t);
    assert.equal(smtp.mails.length, 0);
    const m = t.hub.internals.db.manager;
    const row = await m.findOneByOrFail(OutboxEntity, { id });
    assert.equal(row.state, 'skipped');
    assert.equal((await lines(t.hub, alertId, 'external_sent')).length, 0);
    const skipped = await lines(t.hub, alertId, 'external_skipped');
    assert.equal(skipped.length, 1);
    assert.equal(skipped[0]!.channel, 'email');
    assert.equal(skipped[0]!.note, 'alert acknowledged');
    assert.deepEqual(ids(skipped[0]!.targets), [w.backup.id]);
    const audit = await m.findBy(AuditRowEntity, { action: 'escalation.external_skipped' });
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.targetId, alertId);
    // Done is done: a later sweep finds nothing.
    t.clock.advance(10 * OUTBOX_LEASE_MS);
    assert.equal(await t.hub.internals.escalation.sweepOutbox(), 0);
  });

  it('two claimers at once (two nodes on PostgreSQL, two sweeps on SQLite): one sends, one outcome line', async () => {
    await plainPolicy();
    const alertId = await alertToBackup();
    let other: Hub | null = null;
    let otherDir: string | null = null;
    try {
      if (kind === 'postgres') {
        otherDir = mkdtempSync(join(tmpdir(), 'konsilium-node2-'));
        other = createHub(
          {
            port: 0,
            host: '127.0.0.1',
            dataDir: otherDir,
            databaseUrl: t.hub.config.databaseUrl!,
            smtpUrl: `smtp://127.0.0.1:${smtp.port}`,
            smtpFrom: SMTP_FROM,
          },
          { clock: t.clock, logDestination: new Writable({ write: (_c, _e, cb) => cb() }) },
        );
        await other.start();
      }
      const id = await orphan(alertId, {
        claimedUntil: iso(new Date(t.clock.now().getTime() - 1000)),
      });
      const second = other ?? t.hub;
      const claims = await Promise.all([
        t.hub.internals.escalation.sweepOutbox(),
        second.internals.escalation.sweepOutbox(),
      ]);
      await settle(t);
      await second.internals.escalation.settled();
      assert.deepEqual([...claims].sort(), [0, 1]);
      assert.equal(smtp.mails.length, 1);
      const row = await t.hub.internals.db.manager.findOneByOrFail(OutboxEntity, { id });
      assert.equal(row.state, 'sent');
      assert.equal(row.attempts, 2);
      assert.equal((await lines(t.hub, alertId, 'external_sent')).length, 1);
    } finally {
      await other?.stop();
      if (otherDir) rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it('a stored send that cannot be read, or was interrupted too often, is failed without a mail', async () => {
    await plainPolicy();
    const alertId = await alertToBackup();
    const expired = { claimedUntil: iso(new Date(t.clock.now().getTime() - 1000)) };
    const badJson = await orphan(alertId, { ...expired, targets: 'not json' });
    const badChannel = await orphan(alertId, { ...expired, step: 2, channel: 'pager' as 'sms' });
    const noTargets = await orphan(alertId, { ...expired, step: 3, targets: '[]' });
    const worn = await orphan(alertId, { ...expired, step: 4, attempts: 5 });
    const logsBefore = t.logs.length;
    assert.equal(await t.hub.internals.escalation.sweepOutbox(), 4);
    await settle(t);
    assert.equal(smtp.mails.length, 0);
    const m = t.hub.internals.db.manager;
    for (const id of [badJson, badChannel, noTargets, worn])
      assert.equal((await m.findOneByOrFail(OutboxEntity, { id })).state, 'failed', id);
    const failed = await lines(t.hub, alertId, 'external_failed');
    assert.deepEqual(failed.map((e) => e.note).sort(), [
      'interrupted 5 times',
      'stored send unreadable',
      'stored send unreadable',
      'stored send unreadable',
    ]);
    const wornLine = failed.find((e) => e.note === 'interrupted 5 times')!;
    assert.equal(wornLine.step, 4);
    assert.deepEqual(ids(wornLine.targets), [w.backup.id]);
    const logged = t.logs.slice(logsBefore).join('');
    assert.ok(logged.includes('escalation external send unreadable'));
    assert.ok(!logged.includes('reserve@'), 'no address in the logs');
  });
  it('finished rows are removed after a week; pending ones never are', async () => {
    const outbox = { purge: () => t.hub.internals.escalation.purgeOutbox() };
    const m = t.hub.internals.db.manager;
    const now = t.clock.now().getTime();
    const day = 24 * 3600_000;
    const row = (state: OutboxRow['state'], doneDaysAgo: number | null): OutboxRow => ({
      id: randomUUID(),
      escalationId: randomUUID(),
      step: 1,
      channel: 'email',
      targets: JSON.stringify([w.backup.id]),
      state,
      attempts: 1,
      claimedBy: null,
      claimedUntil: null,
      createdAt: iso(new Date(now - 9 * day)),
      doneAt: doneDaysAgo === null ? null : iso(new Date(now - doneDaysAgo * day)),
    });
    const oldSent = row('sent', 8);
    const oldFailed = row('failed', 8);
    const oldSkipped = row('skipped', 8);
    const recent = row('sent', 6);
    const pending = {
      ...row('pending', null),
      claimedBy: 'another-node',
      claimedUntil: iso(new Date(now + day)),
    };
    for (const r of [oldSent, oldFailed, oldSkipped, recent, pending])
      await m.insert(OutboxEntity, { ...r });
    assert.equal(await outbox.purge(), 3);
    const left = (await m.find(OutboxEntity)).map((r) => r.id).sort();
    assert.deepEqual(left, [recent.id, pending.id].sort());
    assert.equal(await outbox.purge(), 0);
    t.clock.advance(2 * day);
    assert.equal(await outbox.purge(), 1);
    assert.deepEqual(
      (await m.find(OutboxEntity)).map((r) => r.id),
      [pending.id],
    );
  });
});

eachDatabase('escalation outbox after SIGKILL', (kind) => {
  it('a hub killed while its e-mail is in flight: the restarted hub sends it, one outcome line', async function () {
    this.timeout(120_000);
    // The first mail is read but never answered: the child is mid-send when it dies.
    const smtp = await startSmtp(0, 1);
    const config = { smtpUrl: `smtp://127.0.0.1:${smtp.port}`, smtpFrom: SMTP_FROM };
    try {
      await afterCrash(
        kind,
        {
          child: CHILD,
          prefix: 'konsilium-outbox-',
          env: { SMTP_PORT: String(smtp.port) },
          ready: 'started',
          until: () => smtp.held() === 1,
          waitMs: 60_000,
        },
        async ({ out, restart }) => {
          const targetId = /started (\S+)/.exec(out)![1]!;
          const clock = new FakeClock(new Date());
          const hub = restart(clock, config);
          await hub.start();
          try {
            const m = hub.internals.db.manager;
            const [escalation] = await m.find(EscalationEntity);
            assert.ok(escalation);
            if (kind === 'postgres') {
              // Several nodes may share the database: the dead node's lease is waited out.
              await hub.internals.escalation.settled();
              assert.equal(smtp.mails.length, 0);
              const left = await m.findOneByOrFail(OutboxEntity, { escalationId: escalation.id });
              assert.equal(left.state, 'pending');
              clock.advance(OUTBOX_LEASE_MS + 1000);
              assert.equal(await hub.internals.escalation.sweepOutbox(), 1);
            }
            // SQLite has one hub per file: the restart itself took the send over.
            await hub.internals.escalation.settled();
            assert.equal(smtp.mails.length, 1);
            assert.deepEqual(smtp.mails[0]!.to, ['target@hospital.example']);
            assert.ok(smtp.mails[0]!.raw.includes(codeOf(escalation.id)));
            const row = await m.findOneByOrFail(OutboxEntity, { escalationId: escalation.id });
            assert.equal(row.state, 'sent');
            assert.equal(row.attempts, 2);
            const sent = await lines(hub, escalation.id, 'external_sent');
            assert.equal(sent.length, 1);
            assert.deepEqual(ids(sent[0]!.targets), [targetId]);
            assert.equal((await lines(hub, escalation.id, 'external_failed')).length, 0);
            // The escalation itself went on: still open, its wait pending.
            assert.equal(
              (await m.findOneByOrFail(EscalationEntity, { id: escalation.id })).state,
              'open',
            );
          } finally {
            await hub.stop();
          }
        },
      );
    } finally {
      await closeSmtp(smtp);
    }
  });
});
