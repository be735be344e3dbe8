/** Alerts as OS notifications (Electron glue for {@link AlertSink}). */
import { Notification } from 'electron';
import type { AlertSink, ShownAlert } from './alert-board.js';

export class ElectronAlertSink implements AlertSink {
  private readonly shown = new Map<string, Notification>();

  constructor(private readonly onClick: (alert: ShownAlert) => void) {}

  show(alert: ShownAlert): void {
    if (!Notification.isSupported()) return;
    this.shown.get(alert.id)?.close();
    const n = new Notification({
      title: alert.title,
      body: alert.body,
      silent: !alert.sound,
      urgency: alert.priority === 'critical' ? 'critical' : 'normal',
      timeoutType: alert.persistent ? 'never' : 'default',
    });
    n.on('click', () => this.onClick(alert));
    this.shown.set(alert.id, n);
    n.show();
  }

  close(id: string): void {
    this.shown.get(id)?.close();
    this.shown.delete(id);
  }
}
