import { html, css, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { DutyRoleView, OnCallView, TeamView } from '@konsilium/shared';
import { localTime } from '../data/roster-logic.js';
import { msg } from '../i18n/translate.js';
import { KsStoreElement } from './base.js';
import { KsConversationOpenEvent } from './events.js';
import { icons } from './icons.js';
import { base, stackedList } from './styles.js';

/**
 * «Кто дежурит сейчас» (ROS-3): the duty roles of the clinician's units first
 * (a filter finds any other), who answers for each now and until when, the
 * fallback in a gap, and a button to write to the role (RTE-1).
 */
@customElement('ks-oncall')
export class KsOnCall extends KsStoreElement {
  static override styles = [
    base,
    stackedList,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: 8px;
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
      .gap {
        background: var(--ks-warn-bg);
        color: var(--ks-warn-fg);
        border-radius: 4px;
        padding: 0 4px;
      }
    `,
  ];

  @state() private filter = '';
  @state() private answers = new Map<string, OnCallView>();
  @state() private error = '';
  private loading = new Set<string>();
  private seenVersion = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.refresh();
  }

  /** Asks the hub again for every role on screen. */
  async refresh(): Promise<void> {
    try {
      await Promise.all([this.store.loadRoles(), this.store.loadTeams()]);
      this.answers = new Map();
      this.loading.clear();
      this.requestUpdate();
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private visible(): DutyRoleView[] {
    const mine = new Set(this.store.me?.units.map((u) => u.id) ?? []);
    const q = this.filter.trim().toLowerCase();
    const unitName = (id: string) => this.store.units.find((u) => u.id === id)?.name ?? '';
    return this.store.roles
      .filter(
        (r) =>
          !q || r.name.toLowerCase().includes(q) || unitName(r.unitId).toLowerCase().includes(q),
      )
      .sort(
        (a, b) =>
          Number(mine.has(b.unitId)) - Number(mine.has(a.unitId)) || a.name.localeCompare(b.name),
      );
  }

  private ask(role: DutyRoleView): void {
    if (this.answers.has(role.id) || this.loading.has(role.id)) return;
    this.loading.add(role.id);
    this.store
      .onCall(role.id)
      .then((v) => {
        const next = new Map(this.answers);
        next.set(role.id, v);
        this.answers = next;
      })
      .catch((err: Error) => (this.error = msg('error.generic', { reason: err.message })))
      .finally(() => this.loading.delete(role.id));
  }

  override render() {
    if (this.seenVersion !== this.store.rosterVersion) {
      // A roster changed: ask again for every role on screen.
      this.seenVersion = this.store.rosterVersion;
      this.answers = new Map();
      this.loading.clear();
    }
    const roles = this.visible();
    const q = this.filter.trim().toLowerCase();
    const teams = this.store.teams.filter((t) => !q || t.name.toLowerCase().includes(q));
    for (const r of roles) this.ask(r);
    return html`
      <div style="display:flex;gap:8px;align-items:center">
        <h2 id="oncall-h" style="flex:1">${msg('oncall.title')}</h2>
        <button data-testid="oncall-refresh" @click=${() => void this.refresh()}>
          ${msg('oncall.refresh')}
        </button>
      </div>
      <label class="sr-only" for="oncall-q">${msg('oncall.filter')}</label>
      <input
        id="oncall-q"
        type="search"
        data-testid="oncall-filter"
        placeholder=${msg('oncall.filter')}
        .value=${this.filter}
        @input=${(e: Event) => (this.filter = (e.target as HTMLInputElement).value)}
      />
      ${this.error ? html`<p role="alert">${this.error}</p>` : nothing}
      ${roles.length === 0 ? html`<p class="muted">${msg('oncall.none')}</p>` : nothing}
      <ul aria-labelledby="oncall-h">
        ${roles.map((r) => this.row(r))}
      </ul>
      ${
        teams.length
          ? html`<h3 id="teams-h">${msg('teams.title')}</h3>
              <ul aria-labelledby="teams-h">
                ${teams.map((t) => this.teamRow(t))}
              </ul>`
          : nothing
      }
    `;
  }

  private row(role: DutyRoleView) {
    const v = this.answers.get(role.id);
    const zone = role.timeZone;
    const unit = this.store.units.find((u) => u.id === role.unitId)?.name;
    let who: unknown = html`<span class="muted">${msg('conv.loading')}</span>`;
    if (v) {
      if (v.people.length === 0) {
        who = html`<span class="gap" data-testid="oncall-nobody">${msg('oncall.nobody')}</span>`;
      } else {
        const fallbackRole =
          v.source === 'fallback' && v.chain.length > 1
            ? this.store.role(v.chain[v.chain.length - 1]!)?.name
            : undefined;
        who = html`${v.people.map(
          (p) =>
            html`<div data-testid="oncall-person" data-user=${p.id}>
              ${p.fullName}${
                p.until
                  ? html`<span class="muted">
                      · ${msg('oncall.until', { time: localTime(p.until, zone) })}</span
                    >`
                  : nothing
              }
            </div>`,
        )}
        ${
          v.source === 'fallback'
            ? html`<div class="gap" data-testid="oncall-fallback">
                ${
                  fallbackRole
                    ? msg('oncall.fallbackRole', { role: fallbackRole })
                    : msg('oncall.fallback')
                }
              </div>`
            : nothing
        }`;
      }
    }
    return html`<li data-testid="oncall-role" data-role=${role.id}>
      <div class="who">
        <div class="name">${role.name}</div>
        ${unit ? html`<div class="muted">${unit}</div>` : nothing} ${who}
        ${v?.notes ? html`<div class="muted">${v.notes}</div>` : nothing}
      </div>
      <button
        data-testid="oncall-write"
        aria-label=${`${msg('oncall.write')}: ${role.name}`}
        ?disabled=${v !== undefined && v.people.length === 0}
        @click=${() => void this.write(role.id)}
      >
        ${icons.chat}${msg('oncall.write')}
      </button>
    </li>`;
  }

  private teamRow(team: TeamView) {
    const roles = team.roleIds.map((id) => this.store.role(id)?.name).filter(Boolean);
    return html`<li data-testid="team" data-team=${team.id}>
      <div class="who">
        <div class="name">${team.name}</div>
        <div class="muted">
          ${
            team.kind === 'dynamic'
              ? msg('teams.dynamic', { roles: roles.join(', ') || '—' })
              : msg('teams.static', { n: team.memberIds.length })
          }
        </div>
      </div>
      <button
        data-testid="team-write"
        aria-label=${`${msg('teams.write')}: ${team.name}`}
        @click=${() => void this.writeTeam(team)}
      >
        ${icons.chat}${msg('teams.write')}
      </button>
    </li>`;
  }

  private async writeTeam(team: TeamView): Promise<void> {
    try {
      const c = await this.store.openTeam(team);
      this.dispatchEvent(new KsConversationOpenEvent(c.id));
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private async write(roleId: string): Promise<void> {
    try {
      const c = await this.store.openRole(roleId);
      this.dispatchEvent(new KsConversationOpenEvent(c.id));
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-oncall': KsOnCall;
  }
}
