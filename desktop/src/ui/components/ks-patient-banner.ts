import { html, css, nothing } from 'lit';
import { customElement } from 'lit/decorators.js';
import { isAboutPatient } from '../data/logic.js';
import { msg } from '../i18n/translate.js';
import { KsStoreElement } from './base.js';
import { KsConversationOpenEvent, KsScreenChangeEvent } from './events.js';
import { icons } from './icons.js';
import { base } from './styles.js';

/**
 * The patient open in the MIS, that patient's conversations and «Написать о
 * пациенте»; a visible warning when the context is lost or out of sync.
 */
@customElement('ks-patient-banner')
export class KsPatientBanner extends KsStoreElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }
      section {
        background: var(--ks-surface);
        border-bottom: 2px solid var(--ks-accent);
        padding: 8px 12px;
        display: flex;
        flex-direction: column;
        gap: 6px;
      }
      .row {
        display: flex;
        align-items: center;
        gap: 8px;
        flex-wrap: wrap;
      }
      .who {
        flex: 1;
        min-width: 0;
      }
      .display {
        font-weight: 600;
      }
      .lost {
        background: var(--ks-warn-bg);
        color: var(--ks-warn-fg);
        border-radius: 6px;
        padding: 6px 8px;
        display: flex;
        gap: 6px;
        align-items: center;
        font-weight: 500;
      }
      section.is-lost {
        border-bottom-color: var(--ks-urgent-fg);
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: flex;
        gap: 6px;
        flex-wrap: wrap;
      }
      ul button {
        font-size: 0.85em;
        min-height: 28px;
      }
    `,
  ];

  override render() {
    const p = this.store.patient;
    if (p.state === 'none' && !p.context) return nothing;
    const ctx = p.context;
    const convs = ctx
      ? this.store.conversations.filter((c) => isAboutPatient(c, ctx.system, ctx.value))
      : [];
    return html`<section
      role="region"
      aria-label=${msg('patient.region')}
      data-testid="patient-banner"
      data-state=${p.state}
      class=${p.state === 'lost' ? 'is-lost' : ''}
    >
      ${
        p.state === 'lost'
          ? html`<div class="lost" role="alert" data-testid="patient-lost">
              ${icons.alert}<span
                >${msg('patient.lost')}${
                  p.reason
                    ? html` <span class="muted"
                        >(${msg('patient.lostReason', { reason: p.reason })})</span
                      >`
                    : nothing
                }</span
              >
            </div>`
          : nothing
      }
      ${
        ctx
          ? html`<div class="row">
                ${icons.patient}
                <div class="who">
                  <div class="display" data-testid="patient-display">
                    ${ctx.display ?? msg('patient.untitled', { value: ctx.value })}
                  </div>
                  <div class="muted">${msg('patient.id', { value: ctx.value })}</div>
                </div>
                <button
                  class="primary"
                  data-testid="patient-write"
                  ?disabled=${p.state !== 'active'}
                  @click=${() => this.dispatchEvent(new KsScreenChangeEvent('search', 'patient'))}
                >
                  ${icons.chat}${msg('patient.write')}
                </button>
              </div>
              ${
                convs.length
                  ? html`<ul aria-label=${msg('patient.conversations', { n: convs.length })}>
                      ${convs.map(
                        (c) =>
                          html`<li>
                            <button
                              data-testid="patient-conversation"
                              data-id=${c.id}
                              @click=${() => this.dispatchEvent(new KsConversationOpenEvent(c.id))}
                            >
                              ${this.store.title(c)}
                              ${
                                this.store.unread(c.id)
                                  ? html`<span class="badge">${this.store.unread(c.id)}</span>`
                                  : nothing
                              }
                            </button>
                          </li>`,
                      )}
                    </ul>`
                  : html`<div class="muted">${msg('patient.noConversations')}</div>`
              }`
          : html`<div class="muted">${msg('patient.none')}</div>`
      }
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-patient-banner': KsPatientBanner;
  }
}
