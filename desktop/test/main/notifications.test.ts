import assert from 'node:assert/strict';
import {
  AlertBoard,
  osNotificationSound,
  type AlertPolicy,
  type AlertSink,
  type Scheduler,
  OVERLAY_GRACE_MS,
  type ShownAlert,
} from '../../src/main/alerts/alert-board.js';
import {
  applyNotificationPolicy,
  buildNotificationText,
  MAX_BODY,
} from '../../src/main/alerts/notification-text.js';

const PATIENT = 'Петров П.П., 64 г.';
const TEXT = `Пациент ${PATIENT}: калий 7,1 ммоль/л, прошу подойти`;

describe('desktop notifications: text under the patient-data policy', () => {
  it('shows no message text or patient label by default (Russian)', () => {
    const t = buildNotificationText(
      { priority: 'critical', needsAck: true, text: TEXT, patientLabel: PATIENT },
      { showPatientData: false, language: 'ru' },
    );
    assert.deepEqual(t, {
      title: 'КРИТИЧЕСКОЕ сообщение',
      body: 'Требуется подтверждение. Откройте Консилиум.',
    });
    assert.ok(!JSON.stringify(t).includes('Петров'));
  });

  it('in English, with the author (staff, not patient data)', () => {
    const t = buildNotificationText(
      { priority: 'urgent', needsAck: false, text: TEXT, author: 'Козлов А.Д.' },
      { showPatientData: false, language: 'en' },
    );
    assert.deepEqual(t, {
      title: 'Urgent message · Козлов А.Д.',
      body: 'Open Konsilium to read it.',
    });
  });

  it('shows the patient label and clipped, single-line text when policy allows', () => {
    const long = `${TEXT}\n\nLine two\u2028\u0007${'ж'.repeat(500)}`;
    const t = buildNotificationText(
      { priority: 'urgent', needsAck: true, text: long, patientLabel: PATIENT },
      { showPatientData: true, language: 'ru' },
    );
    assert.equal(t.title, `Срочное сообщение · ${PATIENT}`);
    assert.equal(t.body.length, MAX_BODY);
    assert.ok(t.body.endsWith('…'));
    for (const ch of ['\n', '\u2028', '\u0007']) assert.ok(!t.body.includes(ch));
  });

  it('falls back to the generic body when an allowed message has no text (attachment only)', () => {
    const t = buildNotificationText(
      { priority: 'normal', needsAck: false, text: '   ' },
      { showPatientData: true, language: 'ru' },
    );
    assert.equal(t.body, 'Откройте Консилиум, чтобы прочитать.');
  });

  it('replaces what the renderer put into a notification unless policy allows patient data', () => {
    const n = {
      id: 'm1',
      priority: 'urgent' as const,
      title: PATIENT,
      body: TEXT,
      conversationId: 'c1',
    };
    const hidden = applyNotificationPolicy(n, { showPatientData: false, language: 'ru' });
    assert.deepEqual(hidden, {
      id: 'm1',
      priority: 'urgent',
      conversationId: 'c1',
      title: 'Срочное сообщение',
      body: 'Требуется подтверждение. Откройте Консилиум.',
    });
    const shown = applyNotificationPolicy(n, { showPatientData: true, language: 'ru' });
    assert.equal(shown.title, PATIENT);
    assert.equal(shown.body, TEXT);
  });
});

/** A scheduler whose time advances only when the test says so. */
class ManualScheduler implements Scheduler {
  private tasks: { every: number; next: number; task: () => void; live: boolean }[] = [];
  now = 0;
  every(ms: number, task: () => void): () => void {
    const t = { every: ms, next: this.now + ms, task, live: true };
    this.tasks.push(t);
    return () => {
      t.live = false;
    };
  }
  after(ms: number, task: () => void): () => void {
    const t = {
      every: Infinity,
      next: this.now + ms,
      task: () => {
        t.live = false;
        task();
      },
      live: true,
    };
    this.tasks.push(t);
    return () => {
      t.live = false;
    };
  }
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const due = this.tasks
        .filter((t) => t.live && t.next <= end)
        .sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      this.now = due.next;
      due.next += due.every;
      due.task();
    }
    this.now = end;
  }
  get live(): number {
    return this.tasks.filter((t) => t.live).length;
  }
}

class RecordingSink implements AlertSink {
  readonly shown: ShownAlert[] = [];
  readonly closed: string[] = [];
  show(a: ShownAlert): void {
    this.shown.push(a);
  }
  close(id: string): void {
    this.closed.push(id);
  }
}

describe('desktop alerts: critical alerts repeat with sound until acknowledged', () => {
  const policy: AlertPolicy = {
    showPatientData: false,
    language: 'ru',
    sound: false,
    repeatSeconds: 60,
    notifyUrgent: true,
  };

  it('shows a critical alert persistently with sound and repeats it every repeatSeconds', () => {
    const sink = new RecordingSink();
    const clock = new ManualScheduler();
    const board = new AlertBoard(sink, () => policy, clock);
    const counts: number[] = [];
    board.subscribe((n) => counts.push(n));
    board.raise({
      id: 'm1',
      conversationId: 'c1',
      priority: 'critical',
      needsAck: true,
      text: TEXT,
    });
    board.raise({
      id: 'm1',
      conversationId: 'c1',
      priority: 'critical',
      needsAck: true,
      text: TEXT,
    });
    assert.equal(sink.shown.length, 1, 'a second raise of the same id is ignored');
    assert.deepEqual(
      {
        persistent: sink.shown[0]!.persistent,
        sound: sink.shown[0]!.sound,
        repeat: sink.shown[0]!.repeat,
      },
      { persistent: true, sound: true, repeat: 0 },
    );
    clock.advance(59_000);
    assert.equal(sink.shown.length, 1);
    clock.advance(1_000);
    clock.advance(120_000);
    assert.deepEqual(
      sink.shown.map((s) => s.repeat),
      [0, 1, 2, 3],
    );
    assert.ok(
      sink.shown.every((s) => !s.body.includes('калий')),
      'no patient data in any repeat',
    );

    board.resolve('m1');
    assert.deepEqual(sink.closed, ['m1']);
    clock.advance(600_000);
    assert.equal(sink.shown.length, 4, 'no repeats after acknowledgement');
    assert.equal(clock.live, 0);
    assert.deepEqual(counts, [1, 0]);
  });

  it('shows an urgent alert once, with sound only if the user wants it', () => {
    const sink = new RecordingSink();
    const clock = new ManualScheduler();
    const board = new AlertBoard(sink, () => policy, clock);
    board.raise({ id: 'u1', conversationId: 'c1', priority: 'urgent', needsAck: true });
    clock.advance(3_600_000);
    assert.equal(sink.shown.length, 1);
    assert.deepEqual([sink.shown[0]!.persistent, sink.shown[0]!.sound], [false, false]);
    assert.deepEqual(board.pending(), ['u1']);
  });

  it("with the user's notifications off, urgent alerts stay silent but critical ones still show", () => {
    const sink = new RecordingSink();
    const board = new AlertBoard(
      sink,
      () => ({ ...policy, notifyUrgent: false }),
      new ManualScheduler(),
    );
    board.raise({ id: 'u1', conversationId: 'c1', priority: 'urgent', needsAck: true });
    board.raise({ id: 'k1', conversationId: 'c1', priority: 'critical', needsAck: true });
    assert.deepEqual(
      sink.shown.map((s) => s.id),
      ['k1'],
    );
  });

  it('clear() (sign-out, revocation) closes every alert and stops every repeat', () => {
    const sink = new RecordingSink();
    const clock = new ManualScheduler();
    const board = new AlertBoard(sink, () => policy, clock);
    board.raise({ id: 'a', conversationId: 'c', priority: 'critical', needsAck: true });
    board.raise({ id: 'b', conversationId: 'c', priority: 'critical', needsAck: true });
    board.clear();
    assert.deepEqual(sink.closed.sort(), ['a', 'b']);
    assert.equal(clock.live, 0);
    board.resolve('a');
    assert.equal(sink.closed.length, 2, 'resolving an unknown id does nothing');
  });

  it("follows the hub's push (notify.push): repeat and sound as the policy decided", () => {
    const sink = new RecordingSink();
    const clock = new ManualScheduler();
    const board = new AlertBoard(sink, () => ({ ...policy, sound: true }), clock);
    board.raise({
      id: 'u1',
      conversationId: 'c1',
      priority: 'urgent',
      needsAck: true,
      push: { sound: false, repeatUntilAck: true },
    });
    board.raise({
      id: 'n1',
      conversationId: 'c1',
      priority: 'normal',
      needsAck: false,
      push: { sound: false, repeatUntilAck: false },
    });
    clock.advance(60_000);
    assert.deepEqual(
      sink.shown.map((s) => [s.id, s.repeat, s.persistent, s.sound]),
      [
        ['u1', 0, true, false],
        ['n1', 0, false, false],
        ['u1', 1, true, false],
      ],
      'the policy repeats the urgent one silently; the normal push shows once',
    );
    board.clear();
    assert.equal(clock.live, 0);
  });

  it('one sound at a time: silent while the overlay sounds, never twice for a second push', () => {
    const facts = { wanted: true, repeat: 0, onOverlay: false, shownBefore: false };
    assert.equal(osNotificationSound(facts), true);
    assert.equal(osNotificationSound({ ...facts, wanted: false }), false);
    assert.equal(osNotificationSound({ ...facts, onOverlay: true }), false);
    assert.equal(osNotificationSound({ ...facts, onOverlay: true, repeat: 3 }), false);
    assert.equal(osNotificationSound({ ...facts, shownBefore: true }), false, 'second push');
    assert.equal(osNotificationSound({ ...facts, shownBefore: true, repeat: 1 }), true, 'repeat');
  });

  it('a critical alert on the overlay repeats silently; sound comes back when the overlay is gone', () => {
    const sink = new RecordingSink();
    const clock = new ManualScheduler();
    const board = new AlertBoard(sink, () => ({ ...policy, sound: true }), clock);
    board.setOverlay(['k1']);
    board.raise({ id: 'k1', conversationId: 'c1', priority: 'critical', needsAck: true });
    board.raise({ id: 'k2', conversationId: 'c1', priority: 'critical', needsAck: true });
    clock.advance(60_000);
    board.setOverlay([]); // the renderer reloads (or its sound is turned off)
    clock.advance(60_000);
    assert.deepEqual(
      sink.shown.map((s) => [s.id, s.repeat, s.persistent, s.sound]),
      [
        ['k1', 0, true, false],
        ['k2', 0, true, true],
        ['k1', 1, true, false],
        ['k2', 1, true, true],
        ['k1', 2, true, true],
        ['k2', 2, true, true],
      ],
    );
    board.clear();
    assert.equal(clock.live, 0);
  });

  it('while the overlay is armed a new critical alert starts silent; it sounds late only if the overlay never shows it', () => {
    const sink = new RecordingSink();
    const clock = new ManualScheduler();
    const board = new AlertBoard(sink, () => ({ ...policy, sound: true }), clock);
    board.setOverlay([], true);
    // k1: the overlay reports it within the grace: one sound in all (the overlay's).
    board.raise({ id: 'k1', conversationId: 'c1', priority: 'critical', needsAck: true });
    clock.advance(500);
    board.setOverlay(['k1'], true);
    // k2: never reported (the renderer hangs): the OS sound comes after the grace.
    board.raise({ id: 'k2', conversationId: 'c1', priority: 'critical', needsAck: true });
    // u1: urgent alerts are not on the overlay; they sound at once as before.
    board.raise({ id: 'u1', conversationId: 'c1', priority: 'urgent', needsAck: true });
    clock.advance(OVERLAY_GRACE_MS);
    assert.deepEqual(
      sink.shown.map((s) => [s.id, s.repeat, s.sound]),
      [
        ['k1', 0, false],
        ['k2', 0, false],
        ['u1', 0, true],
        ['k2', 0, true],
      ],
    );
    // k3: acknowledged within the grace: nothing more is shown or sounded.
    board.raise({ id: 'k3', conversationId: 'c1', priority: 'critical', needsAck: true });
    board.resolve('k3');
    clock.advance(OVERLAY_GRACE_MS);
    assert.equal(sink.shown.filter((s) => s.id === 'k3').length, 1);
    // Unarmed (renderer reloading, signed out, sound off): sound at once.
    board.setOverlay([]);
    board.raise({ id: 'k4', conversationId: 'c1', priority: 'critical', needsAck: true });
    assert.deepEqual(sink.shown.at(-1)!.sound, true);
    board.clear();
    assert.equal(clock.live, 0);
  });

  it("a second push of an alert already shown makes no second OS sound (and keeps the board's toast)", () => {
    const sink = new RecordingSink();
    const clock = new ManualScheduler();
    const board = new AlertBoard(sink, () => ({ ...policy, sound: true }), clock);
    const fromRenderer = (id: string, priority: 'urgent' | 'critical') => ({
      id,
      conversationId: 'c1',
      priority,
      title: 't',
      body: 'b',
      persistent: false,
      sound: true,
    });
    // The board first (the shell's own connection), then the renderer's push of it.
    board.raise({ id: 'k1', conversationId: 'c1', priority: 'critical', needsAck: true });
    board.notify(fromRenderer('k1', 'critical'));
    // The renderer first, then the board: the toast becomes persistent, but silent.
    board.notify(fromRenderer('k2', 'critical'));
    board.raise({ id: 'k2', conversationId: 'c1', priority: 'critical', needsAck: true });
    // A push of an alert the overlay sounds for is silent too.
    board.setOverlay(['u1']);
    board.notify(fromRenderer('u1', 'urgent'));
    assert.deepEqual(
      sink.shown.map((s) => [s.id, s.repeat, s.persistent, s.sound]),
      [
        ['k1', 0, true, true],
        ['k2', 0, false, true],
        ['k2', 0, true, false],
        ['u1', 0, false, false],
      ],
    );
    // Repeats still remind (nothing else sounds for them).
    clock.advance(60_000);
    assert.deepEqual(
      sink.shown.slice(4).map((s) => [s.id, s.repeat, s.sound]),
      [
        ['k1', 1, true],
        ['k2', 1, true],
      ],
    );
    // Resolved and asked again later (a re-target): it sounds again.
    board.resolve('k1');
    board.raise({ id: 'k1', conversationId: 'c1', priority: 'critical', needsAck: true });
    assert.deepEqual(
      [sink.shown.at(-1)!.id, sink.shown.at(-1)!.repeat, sink.shown.at(-1)!.sound],
      ['k1', 0, true],
    );
    board.clear();
    assert.equal(clock.live, 0);
  });
});
