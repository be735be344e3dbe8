/**
 * Alert rules shared by the renderer (the on-top overlay) and the Electron shell
 * (OS notifications), so both keep the same alerts up. Pure.
 */
import type { AlertView } from '@konsilium/shared';

/**
 * Whether this alert should take over the screen of user `me`: while it is open
 * and asks them now, or asked them earlier in its escalation (anyone asked may
 * still acknowledge) unless they declined it («Не моё»).
 */
export function asksMe(a: AlertView, me: string): boolean {
  if (a.state !== 'open') return false;
  if (a.targets.some((t) => t.id === me)) return true;
  const declined = a.timeline.some(
    (e) => (e.type === 'declined' || e.response === 'decline') && e.actor?.id === me,
  );
  return !declined && a.timeline.some((e) => e.targets?.some((t) => t.id === me));
}
