import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { HubClient, type LoginResponse } from '@konsilium/shared';
import { WebSocket } from 'ws';
import {
  AlertBoard,
  type AlertSink,
  type Scheduler,
  type ShownAlert,
} from '../../src/main/alerts/alert-board.js';
import { AlertWatcher } from '../../src/main/alerts/alert-watcher.js';
import { startDemoHub, type RunningHub } from './support/real-hub.js';

const PASSWORD = 'konsilium-demo';

class RecordingSink implements AlertSink {
  readonly shown: ShownAlert[] = [];
  readonly closed: string[] = [];
  private waiters: (() => void)[] = [];
  show(a: ShownAlert): void {
    this.shown.push(a);
    this.wake();
  }
  close(id: string): void {
    this.closed.push(id);
    this.wake();
  }
  async until(cond: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Repeats fire only when the test calls `tick()`. */
class ManualScheduler implements Scheduler {
  private tasks = new Set<() => void>();
  every(_ms: number, task: () => void): () => void {
    this.tasks.add(task);
    return () => this.tasks.delete(task);
  }
  after(): () => void {
    throw new Error('not used here: the overlay is never armed in these tests');
  }
  tick(): void {
    for (const t of [...this.tasks]) t();
  }
  get live(): number {
    return this.tasks.size;
  }
}

const silentLog = { info: () => undefined, warn: () => undefined };

describe('desktop alerts: AlertWatcher against a real hub (demo hospital)', function () {
  this.timeout(90_000);
  let hub: RunningHub;

  before(async () => {
    hub = await startDemoHub();
  });
  after(async () => {
    await hub?.stop();
  });

  async function signIn(login: string): Promise<{ client: HubClient; res: LoginResponse }> {
    const client = new HubClient({ baseUrl: hub.url, WebSocket });
    const res = await client.login(login, PASSWORD);
    return { client, res };
  }

  it('alerts on a critical message, repeats it, stops at the acknowledgement and wipes on remote revocation', async () => {
    const admin = await signIn('admin');
    const doctor = await signIn('kozlov');
    // The doctor's unit pushes normal messages silently, once; low stays in the inbox.
    const profile = await admin.client.request<{ units: { id: string }[] }>(
      'GET',
      `/api/v1/directory/users/${doctor.res.user.id}`,
    );
    await admin.client.request('PUT', `/api/v1/notifications/policies/${profile.units[0]!.id}`, {
      rules: {
        low: { mode: 'feed' },
        normal: { mode: 'push' },
        urgent: { mode: 'push', sound: true },
        critical: { mode: 'push', sound: true, repeatUntilAck: true, offDuty: true },
      },
    });
    const sink = new RecordingSink();
    const clock = new ManualScheduler();
    let showPatientData = false;
    const board = new AlertBoard(
      sink,
      () => ({
        showPatientData,
        language: 'ru',
        sound: true,
        repeatSeconds: 60,
        notifyUrgent: true,
      }),
      clock,
    );
    const ended: number[] = [];
    const watcher = new AlertWatcher({
      hubUrl: () => `${hub.url}/`,
      WebSocket,
      board,
      showPatientData: () => showPatientData,
      onSessionEnded: (code) => ended.push(code),
      log: silentLog,
    });
    await watcher.start(doctor.res.token);
    assert.ok(watcher.connected);

    const conv = await admin.client.request<{ id: string }>('POST', '/api/v1/conversations', {
      kind: 'group',
      title: 'Палата 12',
      memberIds: [doctor.res.user.id],
      patient: { system: 'urn:mis', value: '123456', label: 'Петров П.П., 64 г.' },
    });
    const send = (text: string, priority: string, from = admin.client) =>
      from.request<{ id: string }>('POST', `/api/v1/conversations/${conv.id}/messages`, {
        id: randomUUID(),
        text,
        priority,
      });

    // The hub has a notification policy: the watcher follows its `notify.push`.
    assert.equal(watcher.gate.mode, 'push');
    await send('когда будет время', 'low');
    await send('своё срочное', 'urgent', doctor.client);
    const critical = await send('Калий 7,1 у Петрова, прошу подойти', 'critical');
    await sink.until(() => sink.shown.length > 0, 'the critical alert');
    assert.equal(sink.shown.length, 1, 'low (inbox only by policy) and own messages raise nothing');
    const first = sink.shown[0]!;
    assert.equal(first.id, critical.id);
    assert.equal(first.priority, 'critical');
    assert.deepEqual([first.persistent, first.sound], [true, true]);
    assert.equal(first.title, 'КРИТИЧЕСКОЕ сообщение');
    assert.ok(!JSON.stringify(first).includes('Петров'), 'no patient data without policy');

    clock.tick();
    clock.tick();
    assert.deepEqual(
      sink.shown.map((s) => s.repeat),
      [0, 1, 2],
    );

    await doctor.client.request('POST', `/api/v1/messages/${critical.id}/ack`, {
      response: 'coming',
    });
    await sink.until(() => sink.closed.includes(critical.id), 'the alert to close');
    assert.equal(clock.live, 0, 'no repeats after the acknowledgement');
    assert.deepEqual(board.pending(), []);

    // The unit's policy pushes normal messages too: once, silently.
    const normal = await send('обычное сообщение', 'normal');
    await sink.until(() => sink.shown.some((s) => s.id === normal.id), 'the normal push');
    const n = sink.shown.find((s) => s.id === normal.id)!;
    assert.deepEqual([n.persistent, n.sound, n.repeat], [false, false, 0]);
    board.resolve(normal.id);

    // With the policy allowing patient data, the toast names the patient and the text.
    showPatientData = true;
    const urgent = await send('Прошу посмотреть ЭКГ', 'urgent');
    await sink.until(() => sink.shown.some((s) => s.id === urgent.id), 'the urgent alert');
    const u = sink.shown.find((s) => s.id === urgent.id)!;
    assert.equal(u.title, 'Срочное сообщение · Петров П.П., 64 г.');
    assert.equal(u.body, 'Прошу посмотреть ЭКГ');
    assert.deepEqual([u.persistent, u.sound], [false, true]);

    // An admin revokes the doctor's session: the hub closes with 4003 and everything is wiped.
    await admin.client.request('DELETE', `/api/v1/admin/sessions/${doctor.res.session.id}`);
    await sink.until(() => ended.length > 0, 'the session end');
    assert.deepEqual(ended, [4003]);
    assert.deepEqual(board.pending(), []);
    assert.ok(sink.closed.includes(urgent.id));
    assert.ok(!watcher.connected);
    admin.client.close();
    doctor.client.close();
  });

  it('raises an escalated alert on the backup person’s desktop and clears it at the acknowledgement', async () => {
    const admin = await signIn('admin');
    const doctor = await signIn('kozlov');
    const backup = await signIn('ivanova');
    const sink = new RecordingSink();
    const clock = new ManualScheduler();
    const board = new AlertBoard(
      sink,
      () => ({
        showPatientData: false,
        language: 'ru',
        sound: false,
        repeatSeconds: 60,
        notifyUrgent: true,
      }),
      clock,
    );
    const watcher = new AlertWatcher({
      hubUrl: () => hub.url,
      WebSocket,
      board,
      showPatientData: () => false,
      onSessionEnded: () => undefined,
      log: silentLog,
    });
    await watcher.start(backup.res.token);
    // Critical messages: notify the recipients, wait 1 s, then the backup.
    await admin.client.request('POST', '/api/v1/escalation/policies', {
      name: 'Критические сообщения (тест)',
      unitId: null,
      match: { priorities: ['critical'], kinds: ['message'] },
      steps: [
        { type: 'notify' },
        { type: 'wait', seconds: 1 },
        { type: 'backup', target: { kind: 'user', id: backup.res.user.id } },
        { type: 'wait', seconds: 600 },
      ],
      failSafe: { kind: 'user', id: admin.res.user.id },
    });
    const conv = await admin.client.request<{ id: string }>('POST', '/api/v1/conversations', {
      kind: 'group',
      title: 'Реанимация',
      memberIds: [doctor.res.user.id],
    });
    const critical = await admin.client.request<{ id: string }>(
      'POST',
      `/api/v1/conversations/${conv.id}/messages`,
      { id: randomUUID(), text: 'Остановка кровообращения, палата 3', priority: 'critical' },
    );
    // The backup was not a recipient: only the escalation brings it to their desktop.
    await sink.until(() => sink.shown.some((x) => x.id === critical.id), 'the escalated alert');
    const shown = sink.shown.find((x) => x.id === critical.id)!;
    assert.deepEqual([shown.priority, shown.persistent, shown.sound], ['critical', true, true]);
    assert.ok(!JSON.stringify(shown).includes('палата'), 'no message text without policy');
    clock.tick();
    assert.equal(
      sink.shown.filter((x) => x.id === critical.id).length,
      2,
      'repeats until answered',
    );

    const alerts = await backup.client.request<{ items: { id: string; messageId: string }[] }>(
      'GET',
      '/api/v1/alerts?state=open',
    );
    const alert = alerts.items.find((a) => a.messageId === critical.id);
    assert.ok(alert, 'the backup sees the open alert');
    await backup.client.request('POST', `/api/v1/alerts/${alert.id}/ack`, { response: 'coming' });
    await sink.until(() => sink.closed.includes(critical.id), 'the alert to close');
    assert.deepEqual(board.pending(), []);
    assert.equal(clock.live, 0);
    watcher.stop();
    for (const c of [admin, doctor, backup]) c.client.close();
  });

  it('refuses to start with a revoked or unknown token', async () => {
    const board = new AlertBoard({ show: () => undefined, close: () => undefined }, () => ({
      showPatientData: false,
      language: 'ru',
      sound: true,
      repeatSeconds: 60,
      notifyUrgent: true,
    }));
    const ended: number[] = [];
    const watcher = new AlertWatcher({
      hubUrl: () => hub.url,
      WebSocket,
      board,
      showPatientData: () => false,
      onSessionEnded: (code) => ended.push(code),
      log: silentLog,
    });
    await assert.rejects(watcher.start('ks_not_a_real_token_0000000000000000'));
    assert.ok(!watcher.connected);
    assert.deepEqual(ended, [4001]);
  });
});
