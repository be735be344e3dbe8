import assert from 'node:assert/strict';
import { ALERT_TIMELINE_TYPES } from '@konsilium/shared';
import {
  allowedModes,
  asksMe,
  formatCountdown,
  formatSeconds,
  isUiAlert,
  metricsWindow,
  needsReadBack,
  newerAlert,
  normaliseValue,
  overlayAlerts,
  overlayReport,
  patientLine,
  readBackProblem,
  secondsToNext,
  soundChoice,
  soundDue,
  timelineKey,
  timelineWho,
  withPreference,
  type UiAlert,
} from '../../src/ui/data/alert-logic.js';
import { buildInbox, type UiMessage } from '../../src/ui/data/logic.js';
import { en } from '../../src/ui/i18n/en.js';
import { ru } from '../../src/ui/i18n/ru.js';
import { groupConversation, uiMessage } from './fixtures.js';

const ME = 'u-me';
const BACKUP = 'u-backup';
const T0 = Date.parse('2026-11-27T09:00:00.000Z');

function alert(over: Partial<UiAlert> = {}): UiAlert {
  return {
    id: 'a1',
    state: 'open',
    kind: 'critical_result',
    priority: 'critical',
    unitId: null,
    messageId: 'm1',
    conversationId: 'c1',
    createdAt: new Date(T0).toISOString(),
    policy: { id: 'p1', name: 'Критические результаты' },
    patient: {
      identifiers: [{ system: 'urn:mis:mrn', value: 'MRN-100' }],
      name: 'Иванов Иван',
    },
    result: {
      resultId: 'r1',
      test: { code: '2823-3', display: 'Калий' },
      value: '6.8',
      units: 'ммоль/л',
      referenceRange: '3.5-5.1',
      flag: 'HH',
    },
    step: { index: 1, type: 'wait', nextAt: new Date(T0 + 90_000).toISOString() },
    targets: [{ id: ME, fullName: 'Петров П. П.' }],
    timeline: [
      {
        at: new Date(T0).toISOString(),
        type: 'started',
        step: 0,
        stepType: 'notify',
        targets: [{ id: ME, fullName: 'Петров П. П.' }],
      },
    ],
    ...over,
  };
}

describe('ui: alerts on screen', () => {
  it('shows the open alerts asking me, critical results first, then the oldest', () => {
    const urgentOrder = alert({
      id: 'a-order',
      kind: 'order',
      priority: 'urgent',
      createdAt: new Date(T0 - 60_000).toISOString(),
    });
    const criticalMessage = alert({
      id: 'a-msg',
      kind: 'message',
      createdAt: new Date(T0 - 120_000).toISOString(),
    });
    const newerResult = alert({ id: 'a-new', createdAt: new Date(T0 + 5_000).toISOString() });
    const olderResult = alert({ id: 'a-old', createdAt: new Date(T0 - 5_000).toISOString() });
    const notMine = alert({
      id: 'a-other',
      targets: [{ id: BACKUP, fullName: 'Б' }],
      timeline: [
        {
          at: new Date(T0).toISOString(),
          type: 'notified',
          targets: [{ id: BACKUP, fullName: 'Б' }],
        },
      ],
    });
    const done = alert({ id: 'a-done', state: 'acknowledged' });
    const list = overlayAlerts(
      [urgentOrder, criticalMessage, newerResult, olderResult, notMine, done],
      ME,
    );
    assert.deepEqual(
      list.map((a) => a.id),
      ['a-old', 'a-new', 'a-msg', 'a-order'],
    );
    assert.equal(asksMe(notMine, BACKUP), true);
    assert.equal(asksMe(done, ME), false);
  });

  it('stays for people asked earlier in the escalation, unless they declined', () => {
    const escalated = alert({
      targets: [{ id: BACKUP, fullName: 'Б' }],
      timeline: [
        ...alert().timeline,
        {
          at: new Date(T0 + 90_000).toISOString(),
          type: 'escalated',
          stepType: 'backup',
          targets: [{ id: BACKUP, fullName: 'Б' }],
        },
      ],
    });
    assert.equal(asksMe(escalated, ME), true, 'the first clinician may still acknowledge');
    assert.equal(asksMe(escalated, BACKUP), true);
    assert.equal(asksMe(escalated, 'u-admin'), false, 'seeing all is not being asked');
    const declined = alert({
      targets: escalated.targets,
      timeline: [
        ...escalated.timeline,
        {
          at: new Date(T0 + 95_000).toISOString(),
          type: 'declined',
          actor: { id: ME, fullName: 'П' },
          response: 'decline',
        },
      ],
    });
    assert.equal(asksMe(declined, ME), false, '«Не моё» takes it off my screen');
    assert.equal(asksMe(declined, BACKUP), true);
  });

  it('keeps the newer version: an old event never reopens an acknowledged alert', () => {
    const open = alert();
    const escalated = alert({
      timeline: [...open.timeline, { at: new Date(T0 + 90_000).toISOString(), type: 'escalated' }],
    });
    const acked = alert({ state: 'acknowledged', timeline: escalated.timeline });
    assert.equal(newerAlert(undefined, open), open);
    assert.equal(newerAlert(open, escalated), escalated);
    assert.equal(newerAlert(escalated, open), escalated, 'a shorter timeline is older');
    assert.equal(newerAlert(acked, escalated), acked, 'settled stays settled');
    assert.equal(newerAlert(escalated, acked), acked);
  });

  it('accepts only alert-shaped socket data', () => {
    assert.equal(isUiAlert(alert()), true);
    assert.equal(isUiAlert(null), false);
    assert.equal(isUiAlert({ ...alert(), state: 'weird' }), false);
    assert.equal(isUiAlert({ ...alert(), timeline: 'x' }), false);
    const { step: _step, ...noStep } = alert();
    assert.equal(isUiAlert(noStep), false);
  });

  it('counts down to the next escalation step', () => {
    const a = alert();
    assert.equal(secondsToNext(a, T0), 90);
    assert.equal(secondsToNext(a, T0 + 89_001), 1, 'rounds up: never shows 0 before it is due');
    assert.equal(secondsToNext(a, T0 + 120_000), 0);
    assert.equal(
      secondsToNext(alert({ step: { index: 5, type: 'fail_safe', nextAt: null } }), T0),
      null,
    );
    assert.equal(secondsToNext(alert({ state: 'acknowledged' }), T0), null);
    assert.equal(formatCountdown(90), '1:30');
    assert.equal(formatCountdown(5), '0:05');
    assert.equal(formatCountdown(3725), '1:02:05');
    assert.equal(formatCountdown(-3), '0:00');
  });

  it('describes the patient and the timeline entries', () => {
    assert.equal(patientLine(alert()), 'Иванов Иван · MRN-100');
    assert.equal(patientLine(alert({ patient: undefined })), '');
    const e = alert().timeline[0]!;
    assert.equal(timelineKey(e), 'alert.tl.started');
    assert.equal(timelineWho(e), 'Петров П. П.');
    assert.equal(
      timelineWho({ at: e.at, type: 'acknowledged', actor: { id: BACKUP, fullName: 'Сидоров' } }),
      'Сидоров',
    );
    assert.equal(
      timelineKey({ at: e.at, type: 'escalated', stepType: 'backup' }),
      'alert.tl.escalated.backup',
    );
    assert.equal(
      timelineKey({ at: e.at, type: 'escalated', stepType: 'external' }),
      'alert.tl.escalated',
    );
    for (const stepType of ['wait', 'backup', 'duty_admin', 'repeat_chain']) {
      const key = timelineKey({ at: e.at, type: 'escalated', stepType });
      assert.ok(ru[key] && en[key], key);
    }
    // Every timeline type has wording in both catalogues.
    for (const type of ALERT_TIMELINE_TYPES) {
      const key = timelineKey({ at: e.at, type });
      assert.ok(ru[key], key);
      assert.ok(en[key], key);
    }
  });
});

describe('ui: read-back', () => {
  it('normalises values the way a clinician types them', () => {
    assert.equal(normaliseValue(' 6,8 '), '6.8');
    assert.equal(normaliseValue('6.80'), '6.8');
    assert.equal(normaliseValue('+6.8'), '6.8');
    assert.equal(normaliseValue('06.8'), '6.8');
    assert.equal(normaliseValue('7.0'), '7');
    assert.equal(normaliseValue('< 0,5'), '<0.5');
    assert.equal(normaliseValue('POS'), 'pos');
    assert.equal(normaliseValue('-0.50'), '-0.5');
  });

  it('asks for the value (matching) and the action before accepting a critical result', () => {
    const a = alert();
    assert.equal(needsReadBack(a, 'accepted'), true);
    assert.equal(needsReadBack(a, 'coming'), true);
    assert.equal(needsReadBack(a, 'decline'), false, '«Не моё» passes it on without read-back');
    assert.equal(needsReadBack(alert({ kind: 'message', result: undefined }), 'accepted'), false);
    const done = alert({
      readBack: { value: '6.8', action: 'x', at: a.createdAt, by: { id: ME, fullName: 'П' } },
    });
    assert.equal(needsReadBack(done, 'accepted'), false);
    assert.equal(readBackProblem(a, '', 'Повторный анализ'), 'value_missing');
    assert.equal(readBackProblem(a, '5.8', 'Повторный анализ'), 'value_mismatch');
    assert.equal(readBackProblem(a, '6,8', '  '), 'action_missing');
    assert.equal(readBackProblem(a, '6,80', 'Глюконат кальция в/в'), null);
  });
});

describe('ui: alarm sound', () => {
  it('sounds at once for a new alert, repeats while unanswered, stays quiet while muted', () => {
    const s = { lastAt: null as number | null, mutedUntil: 0 };
    assert.equal(soundDue(s, T0, false, true), false, 'nothing asks: silent');
    assert.equal(soundDue(s, T0, true, false), true, 'never sounded: sound');
    s.lastAt = T0;
    assert.equal(soundDue(s, T0 + 5_000, true, false, 10_000), false);
    assert.equal(soundDue(s, T0 + 10_000, true, false, 10_000), true, 'repeats');
    assert.equal(soundDue(s, T0 + 5_000, true, true, 10_000), true, 'a new alert at once');
    s.mutedUntil = T0 + 120_000;
    assert.equal(soundDue(s, T0 + 60_000, true, true), false, 'muted, even for a new alert');
    assert.equal(soundDue(s, T0 + 120_000, true, false), true, 'the mute ends by itself');
  });
});

describe('ui: inbox with alerts', () => {
  let seq = 0;
  function message(id: string, over: Partial<UiMessage> = {}): UiMessage {
    seq += 1;
    return uiMessage(seq, { id, text: 't', ...over });
  }
  const conv = groupConversation('c1', ME, 'member');

  it('puts critical results and other open alerts before unread urgent messages', () => {
    const result = message('m-result', { priority: 'critical' });
    const order = message('m-order', { priority: 'urgent', kind: 'order' });
    const urgent = message('m-urgent', { priority: 'critical' });
    const read = message('m-read', { priority: 'critical' });
    const plain = message('m-plain');
    const messages = new Map([['c1', [result, order, urgent, read, plain]]]);
    const alerts = new Map([
      ['m-order', 'order' as const],
      ['m-result', 'critical_result' as const],
      ['m-read', 'message' as const],
    ]);
    const items = buildInbox(ME, [conv], messages, new Map([['c1', read.seq]]), alerts);
    assert.deepEqual(
      items.map((i) => [i.message.id, i.reason]),
      [
        ['m-result', 'alert'],
        ['m-read', 'alert'],
        ['m-order', 'alert'],
        ['m-plain', 'unread'],
      ],
    );
    // Without alerts the same messages fall back to the INB-1 order.
    const plainOrder = buildInbox(ME, [conv], messages, new Map([['c1', 0]]));
    assert.equal(plainOrder[0]!.reason, 'unreadUrgent');
  });
});

describe('ui: notification preferences within policy', () => {
  const push = { mode: 'push' as const, sound: true, userMayQuiet: true };
  it('offers only the policy mode unless quieting is allowed; critical never quieter', () => {
    assert.deepEqual(allowedModes('normal', { ...push, userMayQuiet: false }), ['push']);
    assert.deepEqual(allowedModes('normal', push), ['push', 'feed']);
    assert.deepEqual(allowedModes('low', push), ['push', 'digest', 'feed']);
    assert.deepEqual(allowedModes('low', { ...push, mode: 'digest' }), ['digest', 'feed']);
    assert.deepEqual(allowedModes('critical', push), ['push']);
    assert.equal(soundChoice('urgent', push), true);
    assert.equal(soundChoice('critical', push), false);
    assert.equal(soundChoice('urgent', { ...push, sound: false }), false);
  });

  it('sends only the choices that differ from the policy', () => {
    const policy = {
      low: { mode: 'digest' as const, sound: false },
      normal: { mode: 'push' as const, sound: false },
      urgent: { mode: 'push' as const, sound: true },
      critical: { mode: 'push' as const, sound: true },
    };
    const a = withPreference(policy, {}, 'normal', { mode: 'feed' });
    assert.deepEqual(a, { preferences: { normal: { mode: 'feed' } } });
    const b = withPreference(policy, a.preferences, 'urgent', { sound: false });
    assert.deepEqual(b, { preferences: { normal: { mode: 'feed' }, urgent: { sound: false } } });
    const c = withPreference(policy, b.preferences, 'normal', { mode: 'push' });
    assert.deepEqual(c, { preferences: { urgent: { sound: false } } });
  });
});

describe('ui: metrics view helpers', () => {
  it('asks for a window of at most 92 days ending now and prints durations', () => {
    const w = metricsWindow(T0, 7);
    assert.equal(w.to, new Date(T0).toISOString());
    assert.equal(Date.parse(w.to) - Date.parse(w.from), 7 * 86_400_000);
    const max = metricsWindow(T0, 400);
    assert.equal(Date.parse(max.to) - Date.parse(max.from), 92 * 86_400_000);
    assert.equal(formatSeconds(null), '—');
    assert.equal(formatSeconds(42.4), '42 s');
    assert.equal(formatSeconds(600), '10 min');
    assert.equal(formatSeconds(9000), '2.5 h');
  });
});

describe('ui: what the shell is told of the overlay', () => {
  it('tells the shell what the overlay sounds for, and that it is armed only signed in with the sound on', () => {
    const shown = [{ messageId: 'm1' }, { messageId: 'm2' }];
    assert.deepEqual(overlayReport(shown, true, true), { messageIds: ['m1', 'm2'], armed: true });
    assert.deepEqual(overlayReport([], true, true), { messageIds: [], armed: true });
    assert.deepEqual(overlayReport(shown, true, false), { messageIds: [], armed: false });
    assert.deepEqual(overlayReport(shown, false, true), { messageIds: [], armed: false });
  });
});
