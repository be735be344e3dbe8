import { html, css } from 'lit';
import { customElement } from 'lit/decorators.js';
import { msg } from '../i18n/translate.js';
import { KsStoreElement } from './base.js';
import { KsConversationOpenEvent } from './events.js';
import { icons } from './icons.js';
import { base, stackedList } from './styles.js';

/** INB-1: one list of what needs the user, unread urgent/critical and unacknowledged orders first. */
@customElement('ks-inbox')
export class KsInbox extends KsStoreElement {
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
      li button {
        width: 100%;
        text-align: left;
        display: flex;
        flex-direction: column;
        align-items: stretch;
        gap: 4px;
        padding: 8px 10px;
      }
      .top {
        display: flex;
        gap: 6px;
        align-items: center;
        flex-wrap: wrap;
      }
      .text {
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .reason {
        font-size: 0.8em;
        font-weight: 600;
      }
    `,
  ];

  override render() {
    const s = this.store;
    const items = s.inbox();
    return html`
      <h2 id="h">${msg('inbox.title')}</h2>
      <p class="muted" role="status">
        ${items.length ? msg('inbox.count', { n: items.length }) : msg('inbox.empty')}
      </p>
      <ul aria-labelledby="h" data-testid="inbox-list">
        ${items.map((item) => {
          const m = item.message;
          const c = item.conversation;
          return html`<li>
            <button
              data-testid="inbox-item"
              data-reason=${item.reason}
              data-priority=${m.priority}
              @click=${() => this.dispatchEvent(new KsConversationOpenEvent(c.id))}
            >
              <span class="top">
                ${
                  m.priority === 'urgent' || m.priority === 'critical'
                    ? html`<span class="prio prio-${m.priority}"
                        >${icons.alert}${msg(`priority.${m.priority}`)}</span
                      >`
                    : ''
                }
                ${m.kind === 'order' ? html`<span class="prio">${msg('kind.order')}</span>` : ''}
                <span class="reason">${msg(`inbox.${item.reason}`)}</span>
              </span>
              <span class="muted"
                >${
                  s.title(c) === s.userName(m.authorId)
                    ? s.userName(m.authorId)
                    : `${s.userName(m.authorId)} → ${s.title(c)}`
                }</span
              >
              <span class="text">${m.text}</span>
            </button>
          </li>`;
        })}
      </ul>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-inbox': KsInbox;
  }
}
