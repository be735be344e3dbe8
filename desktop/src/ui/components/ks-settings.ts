import { html, css, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import {
  PRIORITIES_UI,
  allowedModes,
  soundChoice,
  withPreference,
  type NotifyModeUi,
  type PriorityUi,
} from '../data/alert-logic.js';
import type { DockMode } from '../../common/bridge.js';
import type { NotifyLevel, Theme } from '../data/store.js';
import { isLocale, msg } from '../i18n/translate.js';
import { KsStoreElement } from './base.js';
import { base } from './styles.js';

/** Settings: language, theme, notifications, docking (through the desktop shell when present). */
@customElement('ks-settings')
export class KsSettings extends KsStoreElement {
  static override styles = [
    base,
    css`
      :host {
        display: flex;
        flex-direction: column;
        overflow: auto;
        padding: 10px 12px;
        gap: 14px;
      }
      fieldset {
        border: 1px solid var(--ks-border);
        border-radius: 8px;
        padding: 8px 12px 12px;
        display: flex;
        flex-direction: column;
        gap: 8px;
        background: var(--ks-surface);
      }
      legend {
        font-weight: 600;
        padding: 0 4px;
      }
      label {
        display: flex;
        gap: 8px;
        align-items: center;
      }
      .rule {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 12px;
        align-items: center;
      }
    `,
  ];

  @state() private policyState: 'loading' | 'ready' | 'unavailable' = 'loading';
  @state() private saveError = '';

  override connectedCallback(): void {
    super.connectedCallback();
    this.store
      .loadNotifications()
      .then(() => (this.policyState = 'ready'))
      .catch(() => (this.policyState = 'unavailable'));
  }

  /** ESC-3: per priority, what the hospital's policy does and what the person may change. */
  private policyFieldset() {
    const n = this.store.notifications;
    if (this.policyState !== 'ready' || !n)
      return html`<fieldset data-testid="settings-policy">
        <legend>${msg('settings.policy')}</legend>
        <p class="muted" role="status">
          ${msg(this.policyState === 'loading' ? 'settings.policyLoading' : 'settings.policyUnavailable')}
        </p>
      </fieldset>`;
    const pick = async (priority: PriorityUi, change: { mode?: NotifyModeUi; sound?: boolean }) => {
      this.saveError = '';
      try {
        await this.store.saveNotifications(
          withPreference(n.policy, n.preferences, priority, change),
        );
      } catch (err) {
        this.saveError = (err as { message?: string }).message ?? String(err);
      }
    };
    return html`<fieldset data-testid="settings-policy">
      <legend>${msg('settings.policy')}</legend>
      <p class="muted">${msg('settings.criticalAlways')}</p>
      ${PRIORITIES_UI.map((priority) => {
        const rule = n.policy[priority];
        const eff = n.effective[priority];
        const modes = allowedModes(priority, rule);
        const locked = modes.length < 2;
        return html`<div class="rule" data-testid=${`settings-policy-${priority}`}>
          <label
            >${msg(`priority.${priority}`)}
            <select
              data-testid=${`settings-mode-${priority}`}
              ?disabled=${locked}
              aria-describedby=${locked ? `locked-${priority}` : nothing}
              @change=${(e: Event) =>
                void pick(priority, {
                  mode: (e.target as HTMLSelectElement).value as NotifyModeUi,
                })}
            >
              ${modes.map(
                (m) =>
                  html`<option value=${m} ?selected=${m === eff.mode}>
                    ${msg(`settings.mode.${m}`)}
                  </option>`,
              )}
            </select></label
          >
          ${
            soundChoice(priority, rule)
              ? html`<label
                  ><input
                    type="checkbox"
                    data-testid=${`settings-policy-sound-${priority}`}
                    .checked=${eff.sound}
                    @change=${(e: Event) =>
                      void pick(priority, { sound: (e.target as HTMLInputElement).checked })}
                  />${msg('settings.policySound')}</label
                >`
              : nothing
          }
          ${
            locked
              ? html`<span class="muted" id=${`locked-${priority}`}
                  >${msg('settings.policyLocked')}</span
                >`
              : nothing
          }
        </div>`;
      })}
      ${
        this.saveError
          ? html`<p role="alert">${msg('error.generic', { reason: this.saveError })}</p>`
          : nothing
      }
    </fieldset>`;
  }

  override render() {
    const s = this.store;
    const p = s.prefs;
    const bridge = globalThis.konsilium;
    const dockLocked = s.lockedSettings.includes('dockMode');
    const radio = <T extends string>(
      name: string,
      value: T,
      current: T,
      label: string,
      onPick: (v: T) => void,
      disabled = false,
    ) =>
      html`<label
        ><input
          type="radio"
          name=${name}
          value=${value}
          data-testid=${`settings-${name}-${value}`}
          .checked=${value === current}
          ?disabled=${disabled}
          @change=${() => onPick(value)}
        />${label}</label
      >`;
    return html`
      <h2>${msg('settings.title')}</h2>
      <fieldset>
        <legend>${msg('settings.language')}</legend>
        <label
          ><span class="sr-only">${msg('settings.language')}</span>
          <select
            data-testid="settings-language"
            @change=${(e: Event) => {
              const v = (e.target as HTMLSelectElement).value;
              if (isLocale(v)) s.setPrefs({ locale: v });
            }}
          >
            <option value="ru" ?selected=${p.locale === 'ru'} lang="ru">Русский</option>
            <option value="en" ?selected=${p.locale === 'en'} lang="en">English</option>
          </select></label
        >
      </fieldset>
      <fieldset>
        <legend>${msg('settings.theme')}</legend>
        ${(['light', 'dark', 'contrast'] as Theme[]).map((t) =>
          radio('theme', t, p.theme, msg(`settings.theme.${t}`), (v) => s.setPrefs({ theme: v })),
        )}
      </fieldset>
      <fieldset>
        <legend>${msg('settings.notifications')}</legend>
        ${
          // With a hospital notification policy the hub decides per priority (below).
          this.policyState === 'ready'
            ? nothing
            : (['all', 'urgent', 'none'] as NotifyLevel[]).map((n) =>
                radio('notify', n, p.notify, msg(`settings.notify.${n}`), (v) =>
                  s.setPrefs({ notify: v }),
                ),
              )
        }
        ${
          !bridge && typeof Notification !== 'undefined' && Notification.permission === 'default'
            ? html`<div>
                <button
                  data-testid="settings-allow-notifications"
                  @click=${() => void Notification.requestPermission().then(() => this.requestUpdate())}
                >
                  ${msg('settings.allowNotifications')}
                </button>
              </div>`
            : nothing
        }
        <label
          ><input
            type="checkbox"
            data-testid="settings-sound"
            .checked=${p.sound}
            @change=${(e: Event) => s.setPrefs({ sound: (e.target as HTMLInputElement).checked })}
          />${msg('settings.sound')}</label
        >
      </fieldset>
      ${this.policyFieldset()}
      <fieldset>
        <legend>${msg('settings.docking')}</legend>
        ${
          bridge
            ? (['right', 'left', 'follow', 'floating'] as DockMode[]).map((d) =>
                radio(
                  'dock',
                  d,
                  s.dockMode ?? 'right',
                  msg(`settings.dock.${d}`),
                  (v) => void s.setDockMode(v),
                  dockLocked,
                ),
              )
            : html`<p class="muted" data-testid="settings-dock-browser">
                ${msg('settings.dockBrowser')}
              </p>`
        }
        ${dockLocked ? html`<p class="muted">${msg('settings.locked')}</p>` : nothing}
      </fieldset>
      <fieldset>
        <legend>${msg('settings.account')}</legend>
        <div>${s.me?.fullName}</div>
        <div>
          <button data-testid="settings-signout" @click=${() => void s.signOut()}>
            ${msg('signin.signout')}
          </button>
        </div>
      </fieldset>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-settings': KsSettings;
  }
}
