import { html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { UserView } from '@konsilium/shared';
import { profileContacts, profilePresence } from '../data/duty-logic.js';
import { localTime } from '../data/roster-logic.js';
import { msg } from '../i18n/translate.js';
import { KsStoreElement } from './base.js';
import { KsConversationOpenEvent } from './events.js';
import { icons } from './icons.js';
import { base, stackedList } from './styles.js';

/**
 * Staff search by name, position, specialty or unit. `direct` mode starts a
 * direct conversation; `patient` mode picks people for a conversation bound
 * to the current patient (CTX-2).
 */
@customElement('ks-staff-search')
export class KsStaffSearch extends KsStoreElement {
  static override styles = [
    base,
    stackedList,
    css`
      :host {
        display: flex;
        flex-direction: column;
        overflow: auto;
        padding: 10px 12px;
        gap: 8px;
      }
      input[type='search'] {
        width: 100%;
      }
      li {
        display: flex;
        gap: 8px;
        align-items: center;
        background: var(--ks-surface);
        border: 1px solid var(--ks-border);
        border-radius: 8px;
        padding: 8px 10px;
      }
      .who {
        flex: 1;
        min-width: 0;
      }
      .name {
        font-weight: 600;
      }
      .presence {
        font-size: 0.85em;
        font-weight: 600;
      }
      .presence-busy,
      .presence-dnd {
        color: var(--ks-urgent-fg);
      }
      .who > button.name {
        background: none;
        border: none;
        padding: 0;
        font: inherit;
        font-weight: 600;
        color: inherit;
        text-align: start;
        cursor: pointer;
        text-decoration: underline dotted;
      }
      .profile {
        background: var(--ks-surface);
        border: 1px solid var(--ks-border);
        border-radius: 8px;
        padding: 10px 12px;
        display: flex;
        flex-direction: column;
        gap: 6px;
        max-width: 100%;
        overflow-wrap: anywhere;
      }
      .profile h3 {
        margin: 0;
      }
      .profile dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 2px 8px;
        margin: 0;
      }
      .profile dd {
        margin: 0;
      }
      .actions {
        display: flex;
        gap: 8px;
        align-items: center;
        flex-wrap: wrap;
      }
    `,
  ];

  @property() mode: 'direct' | 'patient' = 'direct';
  @state() private query = '';
  @state() private results: UserView[] | null = null;
  @state() private total = 0;
  @state() private chosen = new Set<string>();
  @state() private error = '';
  /** The person whose profile card is open (from `GET /api/v1/directory/users/{id}`). */
  @state() private profile: UserView | null = null;
  private opener: HTMLElement | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private seq = 0;

  override firstUpdated(): void {
    this.renderRoot.querySelector('input')?.focus();
  }

  override render() {
    const patient = this.store.patient.context;
    const forPatient = this.mode === 'patient' && patient !== null;
    const me = this.store.me?.id;
    return html`
      <h2 id="h">${msg('search.title')}</h2>
      ${
        forPatient
          ? html`<p data-testid="search-patient-hint">
              ${msg('search.pickForPatient', { label: patient.display ?? patient.value })}
            </p>`
          : nothing
      }
      <label class="sr-only" for="q">${msg('search.label')}</label>
      <input
        id="q"
        type="search"
        data-testid="search-input"
        placeholder=${msg('search.placeholder')}
        .value=${this.query}
        @input=${(e: Event) => this.onInput(e)}
        autocomplete="off"
      />
      <p class="muted" role="status" aria-live="polite" data-testid="search-status">
        ${
          this.query.trim().length < 2
            ? msg('search.hint')
            : this.results === null
              ? msg('conv.loading')
              : this.results.length === 0
                ? msg('search.none')
                : msg('search.found', { n: this.total })
        }
      </p>
      ${this.error ? html`<p role="alert">${this.error}</p>` : nothing}
      ${this.profile ? this.profileCard(this.profile) : nothing}
      ${
        forPatient
          ? html`<div class="actions">
              <span class="muted">${msg('search.selected', { n: this.chosen.size })}</span>
              <button
                class="primary"
                data-testid="search-create-patient"
                ?disabled=${this.chosen.size === 0}
                @click=${() => void this.createForPatient()}
              >
                ${icons.patient}${msg('search.createPatient')}
              </button>
            </div>`
          : nothing
      }
      <ul aria-labelledby="h" data-testid="search-results">
        ${(this.results ?? [])
          .filter((u) => u.id !== me)
          .map(
            (u) =>
              html`<li data-testid="search-result" data-login=${u.login}>
                <div class="who">
                  <button
                    class="name"
                    data-testid="search-profile"
                    aria-haspopup="dialog"
                    aria-label=${msg('profile.open', { name: u.fullName })}
                    @click=${(e: Event) => void this.openProfile(u.id, e.currentTarget as HTMLElement)}
                  >
                    ${u.fullName}
                  </button>
                  <div class="muted">${[u.position, u.specialty].filter(Boolean).join(' · ')}</div>
                  <div class="muted">${u.units.map((x) => x.name).join(', ')}</div>
                  ${this.presence(u.id)}
                </div>
                ${
                  forPatient
                    ? html`<input
                        type="checkbox"
                        data-testid="search-pick"
                        aria-label=${u.fullName}
                        .checked=${this.chosen.has(u.id)}
                        @change=${() => this.toggle(u.id)}
                      />`
                    : html`<button
                        data-testid="search-write"
                        aria-label=${`${msg('search.write')}: ${u.fullName}`}
                        @click=${() => this.write(u.id)}
                      >
                        ${icons.chat}${msg('search.write')}
                      </button>`
                }
              </li>`,
          )}
      </ul>
    `;
  }

  /** DIR-5: the person's presence and current duties, when the hub told us. */
  private presence(userId: string) {
    const p = this.store.presence.get(userId);
    if (!p) return nothing;
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return html`<div data-testid="search-presence" data-status=${p.status}>
      <span class="presence presence-${p.status}">${msg(`presence.${p.status}`)}</span>${
        p.until && p.source === 'manual'
          ? html`<span class="muted">
              · ${msg('presence.until', { time: localTime(p.until, zone) })}</span
            >`
          : nothing
      }${
        p.duties.length
          ? html`<div class="muted">
              ${msg('presence.duties', { roles: p.duties.map((d) => d.roleName).join(', ') })}
            </div>`
          : nothing
      }
    </div>`;
  }

  private profileCard(u: UserView) {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    // Pushed changes (the store) win over the profile's answer when it was read.
    const p = profilePresence(this.store.presence.get(u.id) ?? u.presence);
    const contacts = profileContacts(u);
    const delegate = p?.delegateId ? this.store.userName(p.delegateId) : '';
    return html`<section
      class="profile"
      role="dialog"
      aria-modal="false"
      aria-labelledby="profile-h"
      data-testid="profile"
      data-login=${u.login}
      tabindex="-1"
      @keydown=${(e: KeyboardEvent) => {
        if (e.key === 'Escape') this.closeProfile();
      }}
    >
      <h3 id="profile-h">${u.fullName}</h3>
      <dl>
        ${
          u.position || u.specialty
            ? html`<dt class="muted">${msg('profile.position')}</dt>
                <dd>${[u.position, u.specialty].filter(Boolean).join(' · ')}</dd>`
            : nothing
        }
        ${
          u.units.length
            ? html`<dt class="muted">${msg('profile.unit')}</dt>
                <dd>${u.units.map((x) => x.name).join(', ')}</dd>`
            : nothing
        }
        ${contacts.map(
          (c) =>
            html`<dt class="muted">${msg(`profile.${c.kind}`)}</dt>
              <dd data-testid=${`profile-${c.kind}`}>
                ${c.href ? html`<a href=${c.href}>${c.value}</a>` : c.value}
              </dd>`,
        )}
        ${
          p
            ? html`<dt class="muted">${msg('profile.presence')}</dt>
                <dd data-testid="profile-presence" data-status=${p.status}>
                  <span class="presence presence-${p.status}">${msg(`presence.${p.status}`)}</span
                  >${
                    p.until
                      ? html`<span data-testid="profile-until">
                          · ${msg('presence.until', { time: localTime(p.until, zone) })}</span
                        >`
                      : nothing
                  }${
                    delegate
                      ? html`<div data-testid="profile-delegate">
                          ${msg('profile.delegate', { name: delegate })}
                        </div>`
                      : nothing
                  }${p.note ? html`<div class="muted">${p.note}</div>` : nothing}
                </dd>`
            : nothing
        }
      </dl>
      ${
        p?.duties.length
          ? html`<h4>${msg('profile.duties')}</h4>
              <ul data-testid="profile-duties">
                ${p.duties.map(
                  (d) =>
                    html`<li data-testid="profile-duty" data-role=${d.roleId}>
                      <div class="who">
                        ${d.roleName}
                        <span class="muted">
                          · ${msg('presence.until', { time: localTime(d.until, zone) })}</span
                        >
                      </div>
                      <button
                        data-testid="profile-message-role"
                        aria-label=${msg('profile.messageRole', { role: d.roleName })}
                        @click=${() => void this.writeRole(d.roleId)}
                      >
                        ${icons.chat}${msg('profile.messageRoleShort')}
                      </button>
                    </li>`,
                )}
              </ul>`
          : nothing
      }
      <div class="actions">
        ${
          u.id !== this.store.me?.id
            ? html`<button
                class="primary"
                data-testid="profile-write"
                @click=${() => void this.write(u.id)}
              >
                ${icons.chat}${msg('search.write')}
              </button>`
            : nothing
        }
        <button data-testid="profile-close" @click=${() => this.closeProfile()}>
          ${msg('profile.close')}
        </button>
      </div>
    </section>`;
  }

  private async openProfile(userId: string, opener: HTMLElement): Promise<void> {
    this.opener = opener;
    try {
      const u = await this.store.profileOf(userId);
      if (u.presence?.delegateId) this.store.ensureUsers([u.presence.delegateId]);
      this.profile = u;
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('[data-testid="profile"]')?.focus();
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private closeProfile(): void {
    this.profile = null;
    this.opener?.focus();
    this.opener = null;
  }

  private async writeRole(roleId: string): Promise<void> {
    try {
      const c = await this.store.openRole(roleId);
      this.dispatchEvent(new KsConversationOpenEvent(c.id));
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private onInput(e: Event): void {
    this.query = (e.target as HTMLInputElement).value;
    clearTimeout(this.timer);
    this.results = null;
    if (this.query.trim().length < 2) return;
    this.timer = setTimeout(() => void this.search(), 200);
  }

  private async search(): Promise<void> {
    const id = ++this.seq;
    try {
      const page = await this.store.searchStaff(this.query.trim());
      if (id !== this.seq) return;
      this.results = page.items;
      this.total = page.total;
      this.error = '';
    } catch (err) {
      if (id === this.seq) this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private toggle(id: string): void {
    const next = new Set(this.chosen);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    this.chosen = next;
  }

  private async write(userId: string): Promise<void> {
    try {
      const c = await this.store.openDirect(userId);
      this.dispatchEvent(new KsConversationOpenEvent(c.id));
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private async createForPatient(): Promise<void> {
    try {
      const c = await this.store.createPatientConversation([...this.chosen]);
      this.dispatchEvent(new KsConversationOpenEvent(c.id));
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-staff-search': KsStaffSearch;
  }
}
