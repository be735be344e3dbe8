import { html, css, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { UserView } from '@konsilium/shared';
import { localTime } from '../data/roster-logic.js';
import { msg } from '../i18n/translate.js';
import { KsStoreElement } from './base.js';
import { base } from './styles.js';

type Manual = 'available' | 'busy' | 'dnd' | 'off_duty';
const STATUSES: Manual[] = ['available', 'busy', 'dnd', 'off_duty'];

/**
 * The presence selector (INB-3): available, busy, in surgery (do not disturb)
 * or off duty, always with an end time; while on duty an unavailable status
 * needs a delegate, picked by staff search.
 */
@customElement('ks-presence')
export class KsPresence extends KsStoreElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
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
      .row {
        display: flex;
        gap: 8px;
        align-items: center;
        flex-wrap: wrap;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
    `,
  ];

  @state() private status: Manual = 'busy';
  @state() private until = '';
  @state() private delegate: UserView | null = null;
  @state() private query = '';
  @state() private found: UserView[] = [];
  @state() private error = '';
  @state() private saved = '';
  /** The hub asked for a delegate (the person is on duty now). */
  @state() private delegateAsked = false;

  override connectedCallback(): void {
    super.connectedCallback();
    const inTwoHours = new Date(Date.now() + 2 * 3600_000);
    const me = this.store.me;
    if (me) this.store.loadPresence([me.id]).catch(() => undefined);
    this.until = `${String(inTwoHours.getHours()).padStart(2, '0')}:${String(inTwoHours.getMinutes()).padStart(2, '0')}`;
  }

  override render() {
    const me = this.store.me;
    const p = me ? this.store.presence.get(me.id) : undefined;
    if (p?.delegateId) this.store.ensureUsers([p.delegateId]);
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const needsDelegate =
      this.status !== 'available' && ((p?.duties.length ?? 0) > 0 || this.delegateAsked);
    return html`<fieldset data-testid="presence">
      <legend>${msg('presence.title')}</legend>
      <p data-testid="presence-current" data-status=${p?.status ?? ''}>
        ${
          p
            ? html`${msg(`presence.${p.status}`)}${
                p.until
                  ? ` · ${msg('presence.until', { time: localTime(p.until, zone) })}`
                  : nothing
              }${
                p.delegateId
                  ? html`<br /><span data-testid="presence-current-delegate"
                        >${msg('presence.delegatedTo', {
                          name: this.store.userName(p.delegateId),
                        })}</span
                      >`
                  : nothing
              }${
                p.duties.length
                  ? html`<br /><span class="muted"
                        >${msg('presence.duties', {
                          roles: p.duties.map((d) => d.roleName).join(', '),
                        })}</span
                      >`
                  : nothing
              }`
            : msg('conv.loading')
        }
      </p>
      <div class="row">
        <label for="presence-status">${msg('presence.set')}</label>
        <select
          id="presence-status"
          data-testid="presence-status"
          @change=${(e: Event) => (this.status = (e.target as HTMLSelectElement).value as Manual)}
        >
          ${STATUSES.map(
            (s) =>
              html`<option value=${s} ?selected=${s === this.status}>
                ${msg(`presence.${s}`)}
              </option>`,
          )}
        </select>
        <label for="presence-until">${msg('presence.untilLabel')}</label>
        <input
          id="presence-until"
          type="time"
          data-testid="presence-until"
          .value=${this.until}
          @input=${(e: Event) => (this.until = (e.target as HTMLInputElement).value)}
        />
      </div>
      ${
        needsDelegate || this.delegate
          ? html`<div>
              <label for="presence-delegate">${msg('presence.delegate')}</label>
              ${
                this.delegate
                  ? html`<p data-testid="presence-delegate-chosen">
                      ${this.delegate.fullName}
                      <button @click=${() => (this.delegate = null)}>${msg('msg.cancel')}</button>
                    </p>`
                  : html`<input
                        id="presence-delegate"
                        type="search"
                        data-testid="presence-delegate"
                        .value=${this.query}
                        @input=${(e: Event) => this.onQuery(e)}
                        autocomplete="off"
                      />
                      <ul>
                        ${this.found.map(
                          (u) =>
                            html`<li>
                              <button
                                data-testid="presence-delegate-pick"
                                data-login=${u.login}
                                @click=${() => (this.delegate = u)}
                              >
                                ${u.fullName}
                              </button>
                            </li>`,
                        )}
                      </ul>`
              }
            </div>`
          : nothing
      }
      <div class="row">
        <button class="primary" data-testid="presence-save" @click=${() => void this.save()}>
          ${msg('presence.save')}
        </button>
        ${
          p?.source === 'manual'
            ? html`<button data-testid="presence-clear" @click=${() => void this.clear()}>
                ${msg('presence.clear')}
              </button>`
            : nothing
        }
        <span role="status" class="muted">${this.saved}</span>
      </div>
      ${this.error ? html`<p role="alert" data-testid="presence-error">${this.error}</p>` : nothing}
    </fieldset>`;
  }

  private onQuery(e: Event): void {
    this.query = (e.target as HTMLInputElement).value;
    this.lookUpStaff(
      this.query,
      (items) => {
        if (items) this.found = items.filter((u) => u.id !== this.store.me?.id).slice(0, 6);
      },
      () => undefined,
    );
  }

  /** The next instant at the chosen local clock time (today, else tomorrow). */
  private untilInstant(): string {
    const [h, m] = this.until.split(':').map(Number) as [number, number];
    const at = new Date();
    at.setHours(h, m, 0, 0);
    if (at.getTime() <= Date.now()) at.setDate(at.getDate() + 1);
    return at.toISOString();
  }

  private async save(): Promise<void> {
    this.error = '';
    this.saved = '';
    if (!/^\d\d:\d\d$/.test(this.until)) {
      this.error = msg('presence.needUntil');
      return;
    }
    try {
      await this.store.setPresence({
        status: this.status,
        until: this.untilInstant(),
        ...(this.delegate ? { delegateId: this.delegate.id } : {}),
      });
      this.saved = msg('settings.saved');
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'rosters.delegate_required') this.delegateAsked = true;
      this.error =
        code === 'rosters.delegate_required'
          ? msg('presence.delegateRequired')
          : msg('error.generic', { reason: (err as Error).message });
    }
  }

  private async clear(): Promise<void> {
    try {
      await this.store.clearPresence();
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-presence': KsPresence;
  }
}
