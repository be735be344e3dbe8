import { html, css, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { ShiftView, SwapView, UserView } from '@konsilium/shared';
import { swapActions, type SwapAction } from '../data/duty-logic.js';
import { localDate, localTime } from '../data/roster-logic.js';
import { msg } from '../i18n/translate.js';
import { KsStoreElement } from './base.js';
import { base, stackedList } from './styles.js';

type Kind = 'giveaway' | 'substitution' | 'swap';

/**
 * «Мои смены и обмены» (ROS-2): my upcoming shifts, each can be given away,
 * substituted or swapped for a colleague's shift; the swap requests I am part
 * of (a coordinator: every open one) with the steps I may take — accept or
 * decline, approve or reject, withdraw; and my calendar feed link.
 */
@customElement('ks-swaps')
export class KsSwaps extends KsStoreElement {
  static override styles = [
    base,
    stackedList,
    css`
      :host {
        display: flex;
        flex-direction: column;
        gap: 8px;
      }
      li,
      .form {
        background: var(--ks-surface);
        border: 1px solid var(--ks-border);
        border-radius: 8px;
        padding: 6px 10px;
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        align-items: center;
      }
      .form {
        flex-direction: column;
        align-items: stretch;
      }
      .grow {
        flex: 1;
        min-width: 0;
      }
      .bar {
        display: flex;
        gap: 6px;
        flex-wrap: wrap;
        align-items: center;
      }
      input.link {
        flex: 1;
        min-width: 0;
        font-family: monospace;
        font-size: 0.8em;
      }
    `,
  ];

  @state() private mine: ShiftView[] = [];
  @state() private requests: SwapView[] = [];
  /** The shifts requests refer to (mine, or fetched for requests made to me). */
  @state() private known = new Map<string, ShiftView>();
  @state() private offering: ShiftView | null = null;
  @state() private kind: Kind = 'giveaway';
  @state() private query = '';
  @state() private found: UserView[] = [];
  @state() private colleague: UserView | null = null;
  @state() private theirs: ShiftView[] = [];
  @state() private counter = '';
  @state() private link = '';
  @state() private status = '';
  @state() private error = '';
  private seenVersion = -1;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  /** Reloads my shifts and the requests. */
  async load(): Promise<void> {
    const me = this.store.me;
    if (!me) return;
    try {
      const [mine, requests] = await Promise.all([
        this.store.shiftsOf(me.id),
        this.store.swaps(),
        this.store.roles.length ? undefined : this.store.loadRoles(),
      ]);
      const known = new Map(mine.map((s) => [s.id, s]));
      const missing = [...new Set(requests.map((r) => r.shiftId))].filter((id) => !known.has(id));
      for (const s of await Promise.all(missing.map((id) => this.store.shift(id))))
        known.set(s.id, s);
      this.mine = mine;
      this.requests = requests;
      this.known = known;
      this.error = '';
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private when(s: { start: string; end: string; roleId: string }): string {
    const zone = this.store.role(s.roleId)?.timeZone ?? 'Europe/Moscow';
    return `${localDate(s.start, zone)} ${localTime(s.start, zone)}–${localTime(s.end, zone)}`;
  }

  override render() {
    if (this.seenVersion !== this.store.rosterVersion) {
      // Someone answered a request or a roster changed: ask again.
      if (this.seenVersion !== -1) void this.load();
      this.seenVersion = this.store.rosterVersion;
    }
    return html`
      <h2 id="swaps-h">${msg('swaps.title')}</h2>
      <p class="muted" role="status" aria-live="polite" data-testid="swaps-status">
        ${this.status}
      </p>
      ${this.error ? html`<p role="alert" data-testid="swaps-error">${this.error}</p>` : nothing}
      <h3 id="mine-h">${msg('swaps.myShifts')}</h3>
      ${this.mine.length === 0 ? html`<p class="muted">${msg('swaps.noShifts')}</p>` : nothing}
      <ul aria-labelledby="mine-h">
        ${this.mine.map(
          (s) =>
            html`<li data-testid="my-shift" data-shift=${s.id}>
                <span class="grow"
                  >${this.store.role(s.roleId)?.name ?? '…'} · ${this.when(s)}</span
                >
                <button data-testid="swap-offer" @click=${() => this.offer(s)}>
                  ${msg('swaps.offer')}
                </button>
              </li>
              ${this.offering?.id === s.id ? this.form() : nothing}`,
        )}
      </ul>
      <h3 id="req-h">${msg('swaps.requests')}</h3>
      ${this.requests.length === 0 ? html`<p class="muted">${msg('swaps.none')}</p>` : nothing}
      <ul aria-labelledby="req-h">
        ${this.requests.map((r) => this.request(r))}
      </ul>
      <h3>${msg('calendar.mine')}</h3>
      <div class="bar">
        <button data-testid="calendar-issue" @click=${() => void this.issue()}>
          ${msg(this.link ? 'calendar.reissue' : 'calendar.issue')}
        </button>
        <button data-testid="calendar-revoke" @click=${() => void this.revoke()}>
          ${msg('calendar.revoke')}
        </button>
      </div>
      ${
        this.link
          ? html`<div class="bar">
              <input
                class="link"
                readonly
                data-testid="calendar-link"
                aria-label=${msg('calendar.mine')}
                .value=${this.link}
              />
              <button data-testid="calendar-copy" @click=${() => void this.copy()}>
                ${msg('calendar.copy')}
              </button>
            </div>`
          : nothing
      }
      <p class="muted">${msg('calendar.hint')}</p>
    `;
  }

  private request(r: SwapView) {
    const me = this.store.me?.id ?? '';
    const actions = swapActions(r, me, this.store.canManageRosters());
    const shift = this.known.get(r.shiftId);
    return html`<li data-testid="swap-request" data-swap=${r.id} data-state=${r.state}>
      <span class="grow">
        ${msg('swaps.describe', {
          kind: msg(`swaps.kind.${r.kind}`),
          from: this.store.userName(r.fromUserId),
          to: this.store.userName(r.toUserId),
          role: shift ? (this.store.role(shift.roleId)?.name ?? '') : '',
          when: shift ? this.when(shift) : '',
        })}
        <span class="muted" data-testid="swap-state">· ${msg(`swaps.state.${r.state}`)}</span>
        ${r.note ? html`<span class="muted">· ${r.note}</span>` : nothing}
      </span>
      ${actions.map(
        (a) =>
          html`<button
            class=${a === 'accept' || a === 'approve' ? 'primary' : ''}
            data-testid=${`swap-${a}`}
            @click=${() => void this.step(r, a)}
          >
            ${msg(`swaps.action.${a}`)}
          </button>`,
      )}
    </li>`;
  }

  private form() {
    const kinds: Kind[] = ['giveaway', 'substitution', 'swap'];
    return html`<li class="form" data-testid="swap-form">
      <div class="bar" role="radiogroup" aria-label=${msg('swaps.kind')}>
        ${kinds.map(
          (k) =>
            html`<label
              ><input
                type="radio"
                name="swap-kind"
                data-testid=${`swap-kind-${k}`}
                .checked=${this.kind === k}
                @change=${() => (this.kind = k)}
              />${msg(`swaps.kind.${k}`)}</label
            >`,
        )}
      </div>
      <label for="swap-q">${msg('swaps.colleague')}</label>
      <input
        id="swap-q"
        type="search"
        data-testid="swap-search"
        autocomplete="off"
        placeholder=${msg('search.placeholder')}
        .value=${this.query}
        @input=${(e: Event) => this.onQuery(e)}
      />
      ${
        this.colleague
          ? nothing
          : html`<ul>
              ${this.found.map(
                (u) =>
                  html`<li>
                    <button
                      data-testid="swap-pick"
                      data-login=${u.login}
                      @click=${() => void this.pick(u)}
                    >
                      ${u.fullName}
                    </button>
                  </li>`,
              )}
            </ul>`
      }
      ${
        this.colleague && this.kind === 'swap'
          ? this.theirs.length === 0
            ? html`<p class="muted">${msg('swaps.noCounter')}</p>`
            : html`<label for="swap-counter">${msg('swaps.counter')}</label>
                <select
                  id="swap-counter"
                  data-testid="swap-counter"
                  @change=${(e: Event) => (this.counter = (e.target as HTMLSelectElement).value)}
                >
                  ${this.theirs.map(
                    (s) =>
                      html`<option value=${s.id} ?selected=${s.id === this.counter}>
                        ${this.store.role(s.roleId)?.name ?? ''} · ${this.when(s)}
                      </option>`,
                  )}
                </select>`
          : nothing
      }
      <div class="bar">
        <button
          class="primary"
          data-testid="swap-send"
          ?disabled=${!this.colleague || (this.kind === 'swap' && !this.counter)}
          @click=${() => void this.send()}
        >
          ${msg('swaps.send')}
        </button>
        <button data-testid="swap-form-cancel" @click=${() => (this.offering = null)}>
          ${msg('msg.cancel')}
        </button>
      </div>
    </li>`;
  }

  private offer(s: ShiftView): void {
    this.offering = s;
    this.kind = 'giveaway';
    this.query = '';
    this.found = [];
    this.colleague = null;
    this.theirs = [];
    this.counter = '';
  }

  private onQuery(e: Event): void {
    this.query = (e.target as HTMLInputElement).value;
    this.colleague = null;
    this.lookUpStaff(
      this.query,
      (items) => (this.found = (items ?? []).filter((u) => u.id !== this.store.me?.id).slice(0, 8)),
      (err) => (this.error = msg('error.generic', { reason: err.message })),
    );
  }

  private async pick(u: UserView): Promise<void> {
    this.colleague = u;
    this.query = u.fullName;
    try {
      this.theirs = await this.store.shiftsOf(u.id);
      this.counter = this.theirs[0]?.id ?? '';
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private async send(): Promise<void> {
    const shift = this.offering;
    const to = this.colleague;
    if (!shift || !to) return;
    try {
      const swap = await this.store.createSwap({
        kind: this.kind,
        shiftId: shift.id,
        toUserId: to.id,
        ...(this.kind === 'swap' ? { counterShiftId: this.counter } : {}),
      });
      this.offering = null;
      this.status = msg(swap.state === 'applied' ? 'swaps.applied' : 'swaps.sent', {
        name: to.shortName,
      });
      await this.load();
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private async step(r: SwapView, action: SwapAction): Promise<void> {
    try {
      const next = await this.store.swapStep(r.id, action);
      this.status = `${msg(`swaps.action.${action}`)}: ${msg(`swaps.state.${next.state}`)}`;
      await this.load();
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private async issue(): Promise<void> {
    try {
      this.link = await this.store.issueCalendar('me');
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private async revoke(): Promise<void> {
    try {
      await this.store.revokeCalendar('me');
      this.link = '';
      this.status = msg('calendar.revoked');
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.link);
      this.status = msg('calendar.copied');
    } catch {
      // No clipboard permission (plain http): select the text for Ctrl+C.
      this.renderRoot.querySelector<HTMLInputElement>('input.link')?.select();
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-swaps': KsSwaps;
  }
}
