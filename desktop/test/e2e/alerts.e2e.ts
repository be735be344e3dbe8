/**
 * End-to-end: a critical lab result over MLLP escalates until acknowledged.
 * A real demo hub with the MLLP listener on a free port and a short escalation
 * policy (seconds); a critical ORU^R01 is sent over a real TCP connection; the
 * ordering clinician's browser shows the critical alert (patient, test, value,
 * units, flag, countdown); nobody acknowledges; after the short wait the alert
 * escalates to the backup, whose browser shows it; the backup accepts with
 * read-back (value + action); both screens clear and the timeline shows every
 * step in the UI and over REST. Needs Debian `chromium` and `chromium-driver`
 * (skipped loudly without them unless KONSILIUM_TEST_REQUIRE_BROWSER=1).
 * Screenshots go to artifacts/screenshots/ (prefix `e`).
 */
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import type { AlertView } from '@konsilium/shared';
import {
  adminToken,
  api,
  byId,
  demoUser,
  freePort,
  shot,
  signIn,
  switchUser,
  text,
  twoBrowserSpec,
} from './support.js';

const WAIT_SECONDS = 12;

/** Sends one MLLP frame and resolves with the hub's ACK (the frame's content). */
function sendMllp(port: number, message: string): Promise<string> {
  return new Promise((res, rej) => {
    const socket = new Socket();
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      rej(new Error('no MLLP ACK within 15 s'));
    }, 15_000);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf(0x1c);
      if (end >= 0) {
        clearTimeout(timer);
        socket.end();
        res(buf.subarray(1, end).toString('utf8'));
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      rej(err);
    });
    socket.connect(port, '127.0.0.1', () => {
      socket.write(
        Buffer.concat([
          Buffer.from([0x0b]),
          Buffer.from(message, 'utf8'),
          Buffer.from([0x1c, 0x0d]),
        ]),
      );
    });
  });
}

/** A critical potassium result ordered by the clinician with MIS id `misId`. */
function criticalOru(misId: string, system: string, control: string): string {
  const now = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return [
    `MSH|^~\\&|LIS|E2E-LAB|KONSILIUM|HOSP|${now}||ORU^R01^ORU_R01|${control}|P|2.5.1|||||||UNICODE UTF-8`,
    'PID|1||MRN-E2E-77^^^HOSP^MR||Смирнов^Пётр^Ильич||19580312|M',
    'PV1|1|I|SURG^12^1',
    `ORC|RE|ORD-E2E-1|FIL-E2E-1||CM||||${now}|||${misId}^Doctor^E2E^^^^^^${system}`,
    `OBR|1|ORD-E2E-1|FIL-E2E-1|2823-3^Калий^LN|||${now}|||||||||${misId}^Doctor^E2E^^^^^^${system}||||||${now}|||F`,
    `OBX|1|NM|2823-3^Калий^LN||6.8|ммоль/л|3.5-5.1|HH|||F|||${now}`,
  ].join('\r');
}

describe('critical result escalation end to end (MLLP → clinician → backup; real hub)', function () {
  this.timeout(180_000);
  let mllpPort = 0;

  const session = twoBrowserSpec({
    spec: 'alerts browser',
    prefix: 'konsilium-e2e-alerts-',
    // Both work in the docked sidebar width.
    viewports: [
      { width: 440, height: 900 },
      { width: 440, height: 900 },
    ],
    env: async () => {
      mllpPort = await freePort();
      return { KONSILIUM_MLLP_PORT: String(mllpPort) };
    },
  });

  it('the ordering clinician sees the critical alert, nobody answers, it escalates to the backup who accepts with read-back; the timeline shows every step', async () => {
    const { A, B, url } = session.ready();

    // Setup through the API: the clinician (ordering, by MIS id) and the backup,
    // and a short escalation policy for critical results.
    const admin = { token: await adminToken(url) };
    const find = (q: string, login: string) => demoUser(url, admin.token, q, login);
    const clinician = await find('Козлов', 'kozlov');
    const backup = await find('Иванова', 'ivanova');
    const mis = clinician.externalIds[0];
    assert.ok(mis, 'the demo clinician has an MIS practitioner id');
    await api(url, '/api/v1/escalation/policies', admin.token, {
      name: 'E2E: критические результаты (короткая)',
      unitId: null,
      match: { priorities: ['critical'], kinds: ['critical_result'] },
      steps: [
        { type: 'notify' },
        { type: 'wait', seconds: WAIT_SECONDS },
        { type: 'backup', target: { kind: 'user', id: backup.id } },
        { type: 'wait', seconds: 600 },
      ],
      failSafe: { kind: 'user', id: backup.id },
    });

    await Promise.all([signIn(A, url, 'kozlov'), signIn(B, url, 'ivanova')]);

    // The lab system sends the critical result over MLLP (real TCP): AA after it is stored.
    const ack = await sendMllp(mllpPort, criticalOru(mis.value, mis.system, `E2E-${Date.now()}`));
    assert.match(ack, /MSA\|AA\|/, `ACK: ${ack}`);

    // The ordering clinician's screen: the critical alert on top, with the facts and the countdown.
    const overlayA = byId(A, 'alert-overlay');
    await overlayA.waitForDisplayed({ timeout: 20_000 });
    assert.equal(await overlayA.getAttribute('data-kind'), 'critical_result');
    assert.equal(await text(A, 'alert-value'), '6.8');
    assert.equal(await text(A, 'alert-units'), 'ммоль/л');
    assert.equal(await text(A, 'alert-flag'), 'HH');
    assert.match(await text(A, 'alert-test'), /Калий/);
    assert.match(await text(A, 'alert-patient'), /MRN-E2E-77/);
    assert.match(await text(A, 'alert-countdown'), /Эскалация через \d+:\d\d/);
    for (const r of ['accepted', 'coming', 'call_back', 'decline'])
      assert.ok(await byId(A, `alert-ack-${r}`).isDisplayed(), `button ${r}`);
    assert.equal(
      await byId(B, 'alert-overlay').isDisplayed(),
      false,
      'the backup is not asked yet',
    );
    await shot(A, 'e01-clinician-critical-alert');

    // Nobody answers: after the short wait the backup's screen shows it.
    const overlayB = byId(B, 'alert-overlay');
    await overlayB.waitForDisplayed({ timeout: (WAIT_SECONDS + 20) * 1000 });
    assert.equal(await text(B, 'alert-value'), '6.8');
    await shot(B, 'e02-backup-escalated-alert');
    // The clinician asked first may still answer: the alert stays on their screen too.
    assert.ok(await overlayA.isDisplayed(), 'still on the clinician’s screen');
    await A.waitUntil(async () => (await text(A, 'alert-targets')).includes(backup.lastName), {
      timeout: 10_000,
      timeoutMsg: 'the clinician sees who is asked now',
    });

    // The backup accepts: read-back first — a wrong value is refused in place.
    await byId(B, 'alert-ack-accepted').click();
    await byId(B, 'alert-readback').waitForDisplayed({ timeout: 5_000 });
    await byId(B, 'alert-readback-value').setValue('5,8');
    await byId(B, 'alert-readback-action').setValue('Глюконат кальция в/в, повторный анализ');
    await byId(B, 'alert-readback-submit').click();
    assert.match(await text(B, 'alert-readback-problem'), /не совпадает/);
    await byId(B, 'alert-readback-value').clearValue();
    await byId(B, 'alert-readback-value').setValue('6,8');
    await shot(B, 'e03-backup-read-back');
    await byId(B, 'alert-readback-submit').click();

    // Acknowledged: the alert leaves both screens.
    await overlayB.waitForDisplayed({ reverse: true, timeout: 15_000 });
    await overlayA.waitForDisplayed({ reverse: true, timeout: 15_000 });

    // Over REST: every step, in order, and the read-back.
    const list = await api<{ items: AlertView[] }>(url, '/api/v1/alerts?state=all', admin.token);
    const alert = list.items.find((x) => x.kind === 'critical_result' && x.result?.value === '6.8');
    assert.ok(alert, 'the alert is listed');
    assert.equal(alert.state, 'acknowledged');
    assert.equal(alert.acknowledgedBy?.id, backup.id);
    assert.equal(alert.readBack?.value, '6,8');
    assert.equal(alert.readBack?.by.id, backup.id);
    const types = alert.timeline.map((e) => e.type);
    for (const t of ['started', 'escalated', 'acknowledged', 'read_back'] as const)
      assert.ok(types.includes(t), `timeline has ${t}: ${types.join(', ')}`);
    const firstTargets = alert.timeline.find((e) => e.targets?.some((x) => x.id === clinician.id));
    const backupTargets = alert.timeline.find((e) => e.targets?.some((x) => x.id === backup.id));
    assert.ok(firstTargets && backupTargets, 'the clinician, then the backup were asked');
    assert.ok(
      Date.parse(backupTargets.at) - Date.parse(firstTargets.at) >= (WAIT_SECONDS - 1) * 1000,
      'the backup was asked only after the wait',
    );

    // In the UI: the clinician opens the alert's conversation; the message shows the timeline.
    await byId(A, 'nav-inbox').click();
    await byId(A, 'nav-conversations').click();
    const item = byId(A, 'conversation-item', `[data-id="${alert.conversationId}"]`);
    await item.waitForDisplayed({ timeout: 15_000 });
    await item.click();
    const entries = A.$$(`>>>[data-testid="alert-timeline-entry"]`);
    await A.waitUntil(async () => (await entries.length) === alert.timeline.length, {
      timeout: 15_000,
      timeoutMsg: 'the conversation shows every timeline step',
    });
    assert.match(await text(A, 'message-alert-readback'), /6,8/);
    await shot(A, 'e04-clinician-timeline');

    // ADM-1: an administrator's metrics view counts the escalation and its acknowledgement.
    await switchUser(A, url, 'admin');
    await byId(A, 'nav-metrics').click();
    assert.equal(await text(A, 'metrics-esc-started'), '1');
    assert.equal(await text(A, 'metrics-esc-acked'), '1');
    await shot(A, 'e05-admin-metrics');
  });
});
