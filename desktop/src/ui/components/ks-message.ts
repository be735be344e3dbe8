import { html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { AckResponse } from '@konsilium/shared';
import { ACK_BUTTONS, needsAck, notReadBy, type UiMessage } from '../data/logic.js';
import { localTime, shortName } from '../data/roster-logic.js';
import { formatSize, getLocale, msg } from '../i18n/translate.js';
import { KsMessageForwardEvent, KsMessageReplyEvent } from './events.js';
import { callBackMinutes } from './call-back.js';
import { icons } from './icons.js';
import { base } from './styles.js';
import './ks-alert-timeline.js';
import { KsStoreElement } from './base.js';

const CALL_BACK_MINUTES = [5, 10, 15, 30, 60] as const;

/** One message: author, priority, text, attachments, receipts, acknowledgements and actions. */
@customElement('ks-message')
export class KsMessage extends KsStoreElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
        padding: 4px 10px;
      }
      article {
        background: var(--ks-surface);
        border: 1px solid var(--ks-border);
        border-radius: 10px;
        padding: 8px 10px;
        max-width: 100%;
        display: flex;
        flex-direction: column;
        gap: 4px;
      }
      :host([mine]) article {
        background: var(--ks-mine);
        margin-left: 24px;
      }
      :host(:not([mine])) article {
        margin-right: 24px;
      }
      article.urgent {
        border-left: 5px solid var(--ks-urgent-fg);
      }
      article.critical {
        border-left: 5px solid var(--ks-critical-bg);
      }
      .head {
        display: flex;
        gap: 6px;
        align-items: center;
        flex-wrap: wrap;
        font-size: 0.85em;
      }
      .author {
        font-weight: 600;
      }
      .text {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      .quote {
        border-left: 3px solid var(--ks-border);
        padding-left: 6px;
        font-size: 0.85em;
      }
      .acks,
      .ackbar,
      .actions {
        display: flex;
        gap: 6px;
        flex-wrap: wrap;
        align-items: center;
      }
      .ackbar button {
        min-height: 30px;
        font-weight: 600;
      }
      .ack {
        font-size: 0.85em;
        background: var(--ks-surface-2);
        border-radius: 4px;
        padding: 1px 6px;
      }
      .actions button {
        font-size: 0.8em;
        min-height: 26px;
        padding: 2px 6px;
      }
      .system {
        text-align: center;
        font-size: 0.85em;
        color: var(--ks-muted);
      }
      img {
        max-width: 100%;
        max-height: 220px;
        border-radius: 6px;
        display: block;
      }
      .file {
        font-size: 0.85em;
      }
      select {
        padding: 2px 4px;
      }
    `,
  ];

  @property({ attribute: false }) message!: UiMessage;
  @property({ type: Boolean, reflect: true }) mine = false;
  @state() private previews = new Map<string, string>();
  @state() private minutes = 15;
  @state() private error = '';
  @state() private confirmingRecall = false;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const url of this.previews.values()) URL.revokeObjectURL(url);
    this.previews = new Map();
  }

  override render() {
    const m = this.message;
    const s = this.store;
    if (m.system) {
      const names = m.system.userIds.map((id) => s.userName(id)).join(', ');
      return html`<p class="system" data-testid="message-system">
        ${msg(`msg.system.${m.system.action}`, { actor: s.userName(m.authorId), names })}
      </p>`;
    }
    const me = s.me?.id;
    const time = new Date(m.createdAt).toLocaleTimeString(
      getLocale() === 'ru' ? 'ru-RU' : 'en-GB',
      {
        hour: '2-digit',
        minute: '2-digit',
      },
    );
    const myAck = m.acks.find((a) => a.userId === me);
    const replied = m.replyTo
      ? s.messages.get(m.conversationId)?.find((x) => x.id === m.replyTo)
      : undefined;
    const urgentish = m.priority === 'urgent' || m.priority === 'critical';
    return html`<article
      data-testid="message"
      data-id=${m.id}
      data-priority=${m.priority}
      data-kind=${m.kind}
      class=${urgentish ? m.priority : ''}
      aria-label=${`${this.mine ? msg('conv.you') : s.userName(m.authorId)}, ${time}${urgentish ? `, ${msg(`priority.${m.priority}`)}` : ''}`}
    >
      <div class="head">
        <span class="author">${this.mine ? msg('conv.you') : s.userName(m.authorId)}</span>
        <time class="muted" datetime=${m.createdAt}>${time}</time>
        ${
          m.priority !== 'normal'
            ? html`<span class="prio prio-${m.priority}" data-testid="message-priority"
                >${urgentish ? icons.alert : nothing}${msg(`priority.${m.priority}`)}</span
              >`
            : nothing
        }
        ${
          m.kind === 'order'
            ? html`<span class="prio" data-testid="message-order">${msg('kind.order')}</span>`
            : nothing
        }
        ${m.editedAt ? html`<span class="muted">${msg('msg.edited')}</span>` : nothing}
      </div>
      ${
        m.forwardedFrom
          ? html`<div class="quote muted">
              ${msg('msg.forwarded', { name: s.userName(m.forwardedFrom.authorId) })}
            </div>`
          : nothing
      }
      ${
        replied
          ? html`<div class="quote">
              <span class="muted"
                >${msg('msg.replyTo', { name: s.userName(replied.authorId) })}</span
              >
              <div>${replied.recalledAt ? msg('msg.recalled') : replied.text.slice(0, 140)}</div>
            </div>`
          : nothing
      }
      ${
        m.recalledAt
          ? html`<div class="muted" data-testid="message-recalled">${msg('msg.recalled')}</div>`
          : html`<div class="text" data-testid="message-text">${m.text}</div>`
      }
      ${m.attachments.map((a) =>
        a.contentType.startsWith('image/') && this.previews.has(a.id)
          ? html`<a href=${this.previews.get(a.id)!} download=${a.name}
              ><img src=${this.previews.get(a.id)!} alt=${a.name} data-testid="attachment-image"
            /></a>`
          : html`<button
              class="file"
              data-testid="attachment"
              @click=${() => void this.download(a.id, a.name)}
            >
              ${icons.clip}${msg('msg.attachment', { name: a.name, size: formatSize(a.size) })}
            </button>`,
      )}
      ${
        m.acks.length
          ? html`<div class="acks" data-testid="acks">
              ${m.acks.map(
                (a) =>
                  html`<span class="ack" data-testid="ack" data-response=${a.response}
                    >${msg('ack.by', {
                      name: a.userId === me ? msg('conv.you') : s.userName(a.userId),
                      response: msg(`ack.${a.response}`, { m: a.minutes ?? 0 }),
                    })}</span
                  >`,
              )}
            </div>`
          : nothing
      }
      ${this.mine ? this.resolved() : nothing} ${this.mine ? this.receipts() : nothing}
      ${!this.mine && needsAck(m) && !myAck && this.alertOpen() ? this.ackBar() : nothing}
      ${this.alertTimeline()}
      ${
        m.recalledAt
          ? nothing
          : html`<div class="actions" role="group" aria-label=${msg('msg.actions')}>
              <button
                data-testid="msg-reply"
                @click=${() => this.dispatchEvent(new KsMessageReplyEvent(m.id))}
              >
                ${icons.reply}${msg('msg.reply')}
              </button>
              <button
                data-testid="msg-forward"
                @click=${() => this.dispatchEvent(new KsMessageForwardEvent(m.id))}
              >
                ${icons.forward}${msg('msg.forward')}
              </button>
              ${
                this.mine && !this.confirmingRecall
                  ? html`<button data-testid="msg-recall" @click=${() => this.askRecall()}>
                      ${icons.recall}${msg('msg.recall')}
                    </button>`
                  : nothing
              }
              ${
                this.confirmingRecall
                  ? html`<span role="alert">${msg('msg.recallConfirm')}</span>
                      <button
                        class="primary"
                        data-testid="msg-recall-confirm"
                        @click=${() => void this.recall()}
                      >
                        ${msg('msg.recallYes')}
                      </button>
                      <button
                        data-testid="msg-recall-cancel"
                        @click=${() => (this.confirmingRecall = false)}
                      >
                        ${msg('msg.cancel')}
                      </button>`
                  : nothing
              }
            </div>`
      }
      ${this.error ? html`<p role="alert">${this.error}</p>` : nothing}
    </article>`;
  }

  protected override updated(): void {
    for (const a of this.message.attachments) {
      if (!a.contentType.startsWith('image/') || this.previews.has(a.id)) continue;
      this.previews.set(a.id, '');
      this.store.attachmentUrl(a.id).then(
        (url) => (this.previews = new Map(this.previews).set(a.id, url)),
        () => undefined,
      );
    }
  }

  /** False once the message's alert is settled (someone acknowledged it: no buttons left). */
  private alertOpen(): boolean {
    const a = this.store.alertForMessage(this.message.id);
    return !a || a.state === 'open';
  }

  /** ESC-2: the escalation of this message (state, read-back and every step), when it has one. */
  private alertTimeline() {
    const a = this.store.alertForMessage(this.message.id);
    if (!a) return nothing;
    return html`<div class="alert" data-testid="message-alert" data-state=${a.state}>
      ${
        a.acknowledgedBy
          ? html`<div data-testid="message-alert-acked">
              ${msg('alert.acked', {
                name: a.acknowledgedBy.fullName,
                response: msg(`ack.${a.acknowledgedBy.response as AckResponse}`, { m: '' }),
              })}
            </div>`
          : nothing
      }
      ${
        a.readBack
          ? html`<div data-testid="message-alert-readback">
              ${msg('alert.readBack.done', {
                value: a.readBack.value,
                action: a.readBack.action,
                name: a.readBack.by.fullName,
              })}
            </div>`
          : nothing
      }
      <ks-alert-timeline .alert=${a}></ks-alert-timeline>
    </div>`;
  }

  /** RTE-1: to whom a message to a duty role went, and whether through the fallback. */
  private resolved() {
    const m = this.message;
    if (!m.resolvedTo) return nothing;
    const zone =
      (m.resolution && this.store.role(m.resolution.roleId)?.timeZone) ??
      Intl.DateTimeFormat().resolvedOptions().timeZone;
    const people = m.resolvedTo.map((p) =>
      p.until
        ? msg('msg.resolvedUntil', { name: shortName(p.fullName), time: localTime(p.until, zone) })
        : shortName(p.fullName),
    );
    return html`<div class="muted" data-testid="message-resolved">
      ${msg('msg.resolvedTo', { people: people.join('; ') })}
      ${
        m.resolution?.source === 'fallback'
          ? html`<div data-testid="message-fallback">${msg('msg.resolvedFallback')}</div>`
          : nothing
      }
    </div>`;
  }

  private receipts() {
    const r = this.message.receipts;
    if (!r || r.total === 0 || this.message.recalledAt) return nothing;
    const missing = notReadBy(this.message).map((id) => this.store.userName(id));
    return html`<div class="muted" data-testid="receipt" data-read=${r.read} data-total=${r.total}>
      ${icons.check}
      ${r.read === r.total ? msg('msg.readAll') : msg('msg.readOf', { read: r.read, total: r.total })}
      ${
        missing.length && r.read > 0 && r.total > 1
          ? html`<div data-testid="receipt-missing">
              ${msg('msg.notRead', { names: missing.join(', ') })}
            </div>`
          : nothing
      }
    </div>`;
  }

  private ackBar() {
    return html`<div
      class="ackbar"
      role="group"
      aria-label=${msg('ack.label')}
      data-testid="ack-bar"
    >
      ${ACK_BUTTONS.map((r) =>
        r === 'call_back'
          ? html`<span class="ackbar">
              <button data-testid="ack-call_back" @click=${() => void this.ack(r)}>
                ${msg('ack.call_back', { m: this.minutes })}
              </button>
              ${callBackMinutes(CALL_BACK_MINUTES, this.minutes, (n) => (this.minutes = n))}
            </span>`
          : html`<button
              class=${r === 'accepted' ? 'primary' : ''}
              data-testid=${`ack-${r}`}
              @click=${() => void this.ack(r)}
            >
              ${msg(`ack.${r}`)}
            </button>`,
      )}
    </div>`;
  }

  private async ack(response: AckResponse): Promise<void> {
    try {
      await this.store.ack(this.message.id, response, this.minutes);
      this.error = '';
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private askRecall(): void {
    this.confirmingRecall = true;
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<HTMLElement>('[data-testid="msg-recall-confirm"]')?.focus(),
    );
  }

  private async recall(): Promise<void> {
    this.confirmingRecall = false;
    try {
      await this.store.recall(this.message.id);
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private async download(id: string, name: string): Promise<void> {
    try {
      const url = await this.store.attachmentUrl(id);
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-message': KsMessage;
  }
}
