import { html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { styleMap } from 'lit/directives/style-map.js';
import { virtualWindow } from '../data/logic.js';
import { msg } from '../i18n/translate.js';
import { KsStoreElement } from './base.js';
import {
  KsConversationOpenEvent,
  KsMessageForwardEvent,
  KsMessageReplyEvent,
  KsScreenChangeEvent,
} from './events.js';
import { icons } from './icons.js';
import { base } from './styles.js';
import './ks-message.js';
import './ks-composer.js';

const ESTIMATE = 96;

/**
 * A conversation: a virtualized, bottom-anchored message list (only the
 * visible window is in the DOM; older pages load on scroll up), the composer,
 * reply and forward.
 */
@customElement('ks-conversation-view')
export class KsConversationView extends KsStoreElement {
  static override styles = [
    base,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
      }
      header {
        display: flex;
        align-items: center;
        gap: 6px;
        padding: 6px 8px;
        background: var(--ks-surface);
        border-bottom: 1px solid var(--ks-border);
      }
      header h2 {
        flex: 1;
        min-width: 0;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .scroller {
        flex: 1;
        min-height: 0;
        overflow-y: auto;
        overflow-anchor: none;
        padding: 6px 0;
      }
      .older {
        display: flex;
        justify-content: center;
        padding: 4px;
      }
      .empty {
        padding: 16px;
        text-align: center;
      }
      dialog {
        border: 1px solid var(--ks-border);
        border-radius: 10px;
        background: var(--ks-surface);
        color: var(--ks-fg);
        max-width: 420px;
        width: 90%;
      }
      dialog ul {
        list-style: none;
        padding: 0;
        margin: 8px 0;
        display: flex;
        flex-direction: column;
        gap: 4px;
      }
      dialog li button {
        width: 100%;
        text-align: left;
      }
    `,
  ];

  @property({ attribute: false }) conversationId = '';
  @state() private replyTo: string | null = null;
  @state() private forwarding: string | null = null;
  @state() private scrollPos = 0;
  @state() private viewport = 600;
  private readonly heights = new Map<string, number>();
  private stickToBottom = true;
  private lastCount = 0;
  private lastFirst: string | undefined;
  private fromBottom = 0;
  private loadingOlder = false;
  private resize: ResizeObserver | null = null;
  private items: ResizeObserver | null = null;
  private readonly onVisible = () => this.maybeMarkRead();

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('visibilitychange', this.onVisible);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('visibilitychange', this.onVisible);
    this.resize?.disconnect();
    this.items?.disconnect();
    this.items = null;
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    super.willUpdate(changed);
    if (changed.has('conversationId')) {
      this.heights.clear();
      this.stickToBottom = true;
      this.replyTo = null;
      this.lastCount = 0;
      this.store.openConversation = this.conversationId;
      if (!this.store.older.has(this.conversationId))
        this.store.loadHistory(this.conversationId).catch(() => undefined);
      // The escalation timelines of this conversation's alerts (settled ones too).
      this.store.loadAlertsFor(this.conversationId).catch(() => undefined);
    }
    const el = this.scroller;
    if (el) this.fromBottom = el.scrollHeight - el.scrollTop;
  }

  private get scroller(): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>('.scroller');
  }

  override render() {
    const s = this.store;
    const c = s.conversation(this.conversationId);
    if (!c) return html`<p class="muted empty">${msg('conv.loading')}</p>`;
    const list = s.messages.get(c.id) ?? [];
    const heights = list.map((m) => this.heights.get(m.id) ?? ESTIMATE);
    const win = virtualWindow(heights, this.scrollPos, this.viewport);
    const visible = list.slice(win.start, win.end);
    const me = s.me?.id;
    const hasOlder = s.older.get(c.id) !== null && s.older.has(c.id);
    return html`
      <header>
        <button
          class="icon"
          aria-label=${msg('nav.back')}
          data-testid="conversation-back"
          @click=${() => this.dispatchEvent(new KsScreenChangeEvent('list'))}
        >
          ${icons.back}
        </button>
        <h2 data-testid="conversation-title" title=${s.title(c)}>${s.title(c)}</h2>
        <span class="muted">${msg('conv.members', { n: c.members.length })}</span>
      </header>
      <div
        class="scroller"
        role="log"
        aria-live="polite"
        aria-label=${msg('conv.history')}
        tabindex="0"
        data-testid="message-list"
        data-count=${list.length}
        data-rendered=${visible.length}
        @scroll=${() => this.onScroll()}
      >
        ${
          hasOlder
            ? html`<div class="older">
                <button data-testid="load-older" @click=${() => void this.loadOlder()}>
                  ${msg('conv.loadOlder')}
                </button>
              </div>`
            : nothing
        }
        ${list.length === 0 ? html`<p class="muted empty">${msg('conv.empty')}</p>` : nothing}
        <div style=${styleMap({ height: `${win.before}px` })}></div>
        ${repeat(
          visible,
          (m) => m.id,
          (m) =>
            html`<ks-message
              data-mid=${m.id}
              .store=${s}
              .message=${m}
              ?mine=${m.authorId === me}
              @ks-message-reply=${(e: KsMessageReplyEvent) => (this.replyTo = e.messageId)}
              @ks-message-forward=${(e: KsMessageForwardEvent) => this.openForward(e.messageId)}
            ></ks-message>`,
        )}
        <div style=${styleMap({ height: `${win.after}px` })}></div>
      </div>
      ${
        c.kind === 'broadcast' && !c.members.some((x) => x.userId === me && x.role === 'admin')
          ? html`<p class="muted empty">${msg('compose.broadcastOnly')}</p>`
          : html`<ks-composer
              .store=${s}
              .conversationId=${c.id}
              .replyTo=${this.replyTo}
              @ks-composer-cancel-reply=${() => (this.replyTo = null)}
            ></ks-composer>`
      }
      ${this.forwarding ? this.forwardDialog() : nothing}
    `;
  }

  protected override firstUpdated(): void {
    const el = this.scroller;
    if (!el) return;
    this.resize = new ResizeObserver(() => {
      const sc = this.scroller;
      if (sc && sc.clientHeight !== this.viewport) this.viewport = sc.clientHeight;
    });
    this.resize.observe(el);
    this.viewport = el.clientHeight || 600;
  }

  protected override updated(): void {
    const el = this.scroller;
    if (!el) return;
    if (!this.resize) this.firstUpdated();
    // Items render after this element (and images load later): measure them when they
    // have a size, and again whenever it changes.
    this.items ??= new ResizeObserver(() => this.settle(false));
    for (const node of el.querySelectorAll<HTMLElement>('ks-message')) this.items.observe(node);
    const list = this.store.messages.get(this.conversationId) ?? [];
    const first = list[0]?.id;
    const grewAtTop =
      this.lastFirst !== undefined && first !== this.lastFirst && list.length > this.lastCount;
    this.lastCount = list.length;
    this.lastFirst = first;
    this.settle(grewAtTop);
    this.maybeMarkRead();
  }

  /** Records rendered heights and keeps the view anchored (bottom, or where the user was). */
  private settle(grewAtTop: boolean): void {
    const el = this.scroller;
    if (!el) return;
    let changedHeights = false;
    for (const node of el.querySelectorAll<HTMLElement>('ks-message')) {
      const id = node.dataset.mid;
      const h = node.offsetHeight;
      if (id && h > 0 && this.heights.get(id) !== h) {
        this.heights.set(id, h);
        changedHeights = true;
      }
    }
    if (this.stickToBottom) el.scrollTop = el.scrollHeight;
    else if (grewAtTop) el.scrollTop = el.scrollHeight - this.fromBottom;
    if (changedHeights) this.requestUpdate();
  }

  private onScroll(): void {
    const el = this.scroller;
    if (!el) return;
    this.stickToBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    this.scrollPos = el.scrollTop;
    if (el.scrollTop < 120) void this.loadOlder();
    this.maybeMarkRead();
  }

  private async loadOlder(): Promise<void> {
    if (this.loadingOlder || this.store.older.get(this.conversationId) === null) return;
    this.loadingOlder = true;
    try {
      await this.store.loadHistory(this.conversationId);
    } finally {
      this.loadingOlder = false;
    }
  }

  private maybeMarkRead(): void {
    if (document.visibilityState !== 'visible' || !this.stickToBottom) return;
    this.store.markRead(this.conversationId);
  }

  private openForward(messageId: string): void {
    this.forwarding = messageId;
    void this.updateComplete.then(() =>
      this.renderRoot.querySelector<HTMLDialogElement>('dialog')?.showModal(),
    );
  }

  private forwardDialog() {
    const s = this.store;
    return html`<dialog
      aria-labelledby="fw"
      data-testid="forward-dialog"
      @close=${() => (this.forwarding = null)}
    >
      <h2 id="fw">${msg('forward.title')}</h2>
      <ul>
        ${s.conversations.map(
          (c) =>
            html`<li>
              <button
                data-testid="forward-target"
                data-id=${c.id}
                @click=${() => void this.forward(c.id)}
              >
                ${s.title(c)}
              </button>
            </li>`,
        )}
      </ul>
      <button @click=${() => this.renderRoot.querySelector('dialog')?.close()}>
        ${msg('forward.cancel')}
      </button>
    </dialog>`;
  }

  private async forward(target: string): Promise<void> {
    const id = this.forwarding;
    this.renderRoot.querySelector('dialog')?.close();
    if (!id) return;
    await this.store.send(target, '', { priority: 'normal', kind: 'informal', forward: id });
    this.dispatchEvent(new KsConversationOpenEvent(target));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-conversation-view': KsConversationView;
  }
}
