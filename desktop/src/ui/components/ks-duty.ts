import { html, css, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { msg } from '../i18n/translate.js';
import { KsStoreElement } from './base.js';
import { base } from './styles.js';
import './ks-oncall.js';
import './ks-presence.js';
import './ks-roster.js';
import './ks-swaps.js';

/** The duty screen: my presence, who is on call now and, for coordinators, the roster editor. */
@customElement('ks-duty')
export class KsDuty extends KsStoreElement {
  static override styles = [
    base,
    css`
      :host {
        display: flex;
        flex-direction: column;
        overflow: auto;
        padding: 10px 12px;
        gap: 12px;
      }
      .tabs {
        display: flex;
        gap: 6px;
      }
      .tabs button[aria-pressed='true'] {
        background: var(--ks-accent);
        color: var(--ks-on-accent);
        border-color: var(--ks-accent);
      }
    `,
  ];

  @state() private view: 'oncall' | 'roster' = 'oncall';

  override render() {
    const s = this.store;
    const coordinator = s.canManageRosters();
    return html`
      ${
        coordinator
          ? html`<div class="tabs" role="group" aria-label=${msg('duty.views')}>
              <button
                data-testid="duty-oncall"
                aria-pressed=${this.view === 'oncall' ? 'true' : 'false'}
                @click=${() => (this.view = 'oncall')}
              >
                ${msg('oncall.title')}
              </button>
              <button
                data-testid="duty-roster"
                aria-pressed=${this.view === 'roster' ? 'true' : 'false'}
                @click=${() => (this.view = 'roster')}
              >
                ${msg('roster.title')}
              </button>
            </div>`
          : nothing
      }
      ${
        coordinator && this.view === 'roster'
          ? html`<ks-roster .store=${s}></ks-roster>`
          : html`<ks-presence .store=${s}></ks-presence><ks-oncall .store=${s}></ks-oncall
              ><ks-swaps .store=${s}></ks-swaps>`
      }
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-duty': KsDuty;
  }
}
