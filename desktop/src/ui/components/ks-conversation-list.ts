import { html, css, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ConversationView } from '@konsilium/shared';
import { unreadPriority } from '../data/logic.js';
import { msg } from '../i18n/translate.js';
import { KsStoreElement } from './base.js';
import { KsConversationOpenEvent } from './events.js';
import { icons } from './icons.js';
import { base } from './styles.js';

/** The user's conversations, newest activity first, with unread counts and priority markers. */
@customElement('ks-conversation-list')
export class KsConversationList extends KsStoreElement {
  static override styles = [
    base,
    css`
      :host {
        display: flex;
        flex-direction: column;
        overflow: auto;
        background: var(--ks-surface);
      }
      h2 {
        padding: 10px 12px 4px;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li button {
        width: 100%;
        border: none;
        border-bottom: 1px solid var(--ks-border);
        border-radius: 0;
        text-align: left;
        display: grid;
        grid-template-columns: 1fr auto;
        gap: 2px 8px;
        padding: 10px 12px;
        background: transparent;
      }
      li button[aria-current='true'] {
        background: var(--ks-surface-2);
      }
      .name {
        font-weight: 600;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .preview {
        grid-column: 1 / -1;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .meta {
        display: flex;
        gap: 6px;
        align-items: center;
        justify-content: flex-end;
      }
      .patient {
        grid-column: 1 / -1;
        display: inline-flex;
        align-items: center;
        gap: 4px;
        font-size: 0.8em;
        color: var(--ks-accent);
      }
      .patient svg {
        width: 14px;
        height: 14px;
      }
      .empty {
        padding: 16px 12px;
      }
    `,
  ];

  @property({ attribute: false }) selected: string | null = null;

  override render() {
    const s = this.store;
    return html`
      <h2 id="h">${msg('list.title')}</h2>
      ${
        s.conversations.length === 0
          ? html`<p class="muted empty">${msg('list.empty')}</p>`
          : html`<ul aria-labelledby="h" data-testid="conversation-list">
              ${s.conversations.map((c) => this.item(c))}
            </ul>`
      }
    `;
  }

  private item(c: ConversationView) {
    const s = this.store;
    const me = s.me?.id ?? '';
    const list = s.messages.get(c.id) ?? [];
    const last = [...list].reverse().find((m) => !m.system);
    const unread = s.unread(c.id);
    const prio = unreadPriority(me, list, s.readSeq.get(c.id) ?? 0);
    const title = s.title(c);
    const preview = last
      ? last.recalledAt
        ? msg('msg.recalled')
        : `${last.authorId === me ? msg('conv.you') : s.userName(last.authorId)}: ${last.text || (last.attachments[0]?.name ?? '')}`
      : msg('list.noMessages');
    const label = [
      title,
      prio === 'urgent' || prio === 'critical' ? msg(`priority.${prio}`) : '',
      unread ? msg('list.unread', { n: unread }) : '',
      c.patient ? msg('list.patient', { label: c.patient.label ?? c.patient.value }) : '',
    ]
      .filter(Boolean)
      .join(', ');
    return html`<li>
      <button
        data-testid="conversation-item"
        data-id=${c.id}
        aria-current=${this.selected === c.id ? 'true' : 'false'}
        aria-label=${label}
        @click=${() => this.dispatchEvent(new KsConversationOpenEvent(c.id))}
      >
        <span class="name">${title}</span>
        <span class="meta">
          ${
            prio === 'urgent' || prio === 'critical'
              ? html`<span class="prio prio-${prio}" data-testid="priority-marker"
                  >${icons.alert}${msg(`priority.${prio}`)}</span
                >`
              : nothing
          }
          ${
            unread ? html`<span class="badge" data-testid="unread-badge">${unread}</span>` : nothing
          }
        </span>
        ${
          c.patient
            ? html`<span class="patient" data-testid="patient-label"
                >${icons.patient}${c.patient.label ?? c.patient.value}</span
              >`
            : nothing
        }
        <span class="preview muted">${preview}</span>
      </button>
    </li>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-conversation-list': KsConversationList;
  }
}
