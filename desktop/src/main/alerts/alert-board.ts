/**
 * The unacknowledged urgent/critical alerts this workstation is showing, and
 * the repeat rule: a critical alert stays on screen (persistent toast) and is
 * shown again with sound every `repeatSeconds` until it is acknowledged (or
 * recalled, or someone took it on); an urgent one is shown once. Time comes
 * from an injected scheduler so tests advance it by hand.
 *
 * One sound per alert at a time: while the renderer's alert overlay shows an
 * alert (it repeats its own alarm), the OS notification for it is silent, and
 * a second push for an alert already shown does not sound again
 * ({@link osNotificationSound}). While the overlay is armed (signed in, its
 * sound on), a new critical alert's first notification is silent: the
 * overlay is about to sound for it. If the overlay has not reported it within
 * {@link OVERLAY_GRACE_MS}, the notification is shown again with sound.
 */
import type { Priority } from '@konsilium/shared';
import {
  buildNotificationText,
  type AlertFacts,
  type NotificationPolicy,
} from './notification-text.js';

export interface ShownAlert {
  id: string;
  conversationId: string;
  priority: Priority;
  title: string;
  body: string;
  /** Stays until dismissed (Windows `timeoutType: 'never'`, Linux urgency critical). */
  persistent: boolean;
  sound: boolean;
  /** 0 for the first showing, then 1, 2, … for repeats. */
  repeat: number;
}

/** Where alerts are shown: Electron `Notification` in the shell, a recorder in tests. */
export interface AlertSink {
  show(alert: ShownAlert): void;
  close(id: string): void;
}

/** Timers; each returns a cancel function. */
export interface Scheduler {
  every(ms: number, task: () => void): () => void;
  after(ms: number, task: () => void): () => void;
}

export const realScheduler: Scheduler = {
  every(ms, task) {
    const t = setInterval(task, ms);
    t.unref?.();
    return () => clearInterval(t);
  },
  after(ms, task) {
    const t = setTimeout(task, ms);
    t.unref?.();
    return () => clearTimeout(t);
  },
};

/**
 * How long a new critical alert's OS notification stays silent while the
 * armed overlay has not reported it yet (it learns of the alert over its own
 * connection, usually within a fraction of a second).
 */
export const OVERLAY_GRACE_MS = 2000;

export interface AlertPolicy extends NotificationPolicy {
  /** Sound for urgent alerts (critical ones always sound). */
  sound: boolean;
  /** Whether urgent alerts notify at all (the user's `ui.notify` = `none` turns them off; critical ones always notify). */
  notifyUrgent: boolean;
  repeatSeconds: number;
}

export interface Alert extends AlertFacts {
  id: string;
  conversationId: string;
  /**
   * What the hub's notification policy decided (`notify.push`): sound and
   * repeat-until-acknowledged. Absent: the client's rules (critical repeats with sound).
   */
  push?: { sound: boolean; repeatUntilAck: boolean };
}

/** What decides whether one OS notification for an alert makes a sound. */
export interface SoundFacts {
  /** What the rules ask for (the hub's push, or the client's policy). */
  wanted: boolean;
  /** 0 for the first showing, then the board's own repeats. */
  repeat: number;
  /** The renderer's overlay shows this alert now and sounds its own alarm. */
  onOverlay: boolean;
  /**
   * A first showing of a critical alert while the overlay is armed: it will
   * sound for it (checked again after {@link OVERLAY_GRACE_MS}).
   */
  overlayExpected?: boolean;
  /** An OS notification for this alert was shown already (this is a second push of it). */
  shownBefore: boolean;
}

/**
 * Whether an OS notification sounds: never while the overlay sounds for the
 * same alert (two alarms at once), never for a second push of an alert already
 * shown; the board's own repeats sound as the rules say (that is the reminder
 * when nothing else sounds).
 */
export function osNotificationSound(f: SoundFacts): boolean {
  if (!f.wanted || f.onOverlay || (f.overlayExpected && f.repeat === 0)) return false;
  return f.repeat > 0 || !f.shownBefore;
}

/** How many alert ids are remembered as shown (second pushes) at most. */
const REMEMBER = 500;

export class AlertBoard {
  private readonly open = new Map<
    string,
    { alert: Alert; cancel: (() => void) | null; grace: (() => void) | null }
  >();
  private readonly listeners = new Set<(pending: number) => void>();
  /** Ids the renderer's overlay shows with its own alarm (reported over IPC). */
  private overlay = new Set<string>();
  /** The overlay is up and sounds for every critical alert that asks this user. */
  private armed = false;
  /** Ids an OS notification was shown for (board or renderer), until resolved. */
  private readonly shown = new Set<string>();

  constructor(
    private readonly sink: AlertSink,
    private readonly policy: () => AlertPolicy,
    private readonly scheduler: Scheduler = realScheduler,
  ) {}

  /** Shows a new alert (a second raise of the same id is ignored). */
  raise(alert: Alert): void {
    if (this.open.has(alert.id)) return;
    if (alert.priority !== 'critical' && !this.policy().notifyUrgent) return;
    const entry = {
      alert,
      cancel: null as (() => void) | null,
      grace: null as (() => void) | null,
    };
    this.open.set(alert.id, entry);
    const expected = this.armed && alert.priority === 'critical' && !this.overlay.has(alert.id);
    this.display(alert, 0, expected);
    if (expected)
      entry.grace = this.scheduler.after(OVERLAY_GRACE_MS, () => {
        entry.grace = null;
        // The overlay never showed it (hung, or the alert does not ask this
        // user there): the first sound comes from here after all.
        if (this.open.get(alert.id) === entry && !this.overlay.has(alert.id))
          this.display(alert, 0, false, true);
      });
    if (alert.push ? alert.push.repeatUntilAck : alert.priority === 'critical') {
      let n = 0;
      entry.cancel = this.scheduler.every(this.policy().repeatSeconds * 1000, () => {
        if (this.open.get(alert.id) === entry) this.display(alert, ++n);
      });
    }
    this.changed();
  }

  /**
   * A notification the renderer asks for (its own `notify.push` or new
   * message). An alert already on the board keeps its own notification (no
   * replacement, no second sound); otherwise it is shown once, silent while
   * the overlay sounds for it or when it was shown before.
   */
  notify(n: Omit<ShownAlert, 'repeat'>): void {
    if (this.open.has(n.id)) return;
    const sound = osNotificationSound({
      wanted: n.sound,
      repeat: 0,
      onOverlay: this.overlay.has(n.id),
      shownBefore: this.shown.has(n.id),
    });
    this.remember(n.id);
    this.sink.show({ ...n, sound, repeat: 0 });
  }

  /**
   * The alerts the renderer's overlay shows now while its alarm is on (ids
   * are message ids, as on the board), and whether it is armed (it will sound
   * for any new critical alert asking this user); empty and unarmed when the
   * renderer is gone, reloading, signed out or has its sound off.
   */
  setOverlay(ids: Iterable<string>, armed = false): void {
    this.overlay = new Set(ids);
    this.armed = armed;
  }

  /** Acknowledged, taken on or recalled: stop repeating and remove the toast. */
  resolve(id: string): void {
    this.shown.delete(id);
    const entry = this.open.get(id);
    if (!entry) return;
    entry.cancel?.();
    entry.grace?.();
    this.open.delete(id);
    this.sink.close(id);
    this.changed();
  }

  /** Sign-out / session end: drop everything. */
  clear(): void {
    for (const id of [...this.open.keys()]) this.resolve(id);
    this.shown.clear();
    this.overlay.clear();
    this.armed = false;
  }

  pending(): string[] {
    return [...this.open.keys()];
  }

  has(id: string): boolean {
    return this.open.has(id);
  }

  /** Told the number of open alerts after every change (tray badge). */
  subscribe(listener: (pending: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Shows (or shows again) an alert's notification. `late`: the overlay
   * expected to sound for it never did, so this first showing sounds.
   */
  private display(alert: Alert, repeat: number, overlayExpected = false, late = false): void {
    const policy = this.policy();
    const text = buildNotificationText(alert, policy);
    const critical = alert.priority === 'critical';
    const sound = osNotificationSound({
      wanted: alert.push ? alert.push.sound || critical : critical || policy.sound,
      repeat,
      onOverlay: this.overlay.has(alert.id),
      overlayExpected,
      shownBefore: !late && this.shown.has(alert.id),
    });
    this.remember(alert.id);
    this.sink.show({
      id: alert.id,
      conversationId: alert.conversationId,
      priority: alert.priority,
      title: text.title,
      body: text.body,
      persistent: critical || (alert.push?.repeatUntilAck ?? false),
      sound,
      repeat,
    });
  }

  private remember(id: string): void {
    this.shown.delete(id);
    this.shown.add(id);
    if (this.shown.size > REMEMBER) this.shown.delete(this.shown.values().next().value!);
  }

  private changed(): void {
    for (const l of this.listeners) l(this.open.size);
  }
}
