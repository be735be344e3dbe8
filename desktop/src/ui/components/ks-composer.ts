import { html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { PRIORITIES, type MessageKind, type Priority } from '@konsilium/shared';
import { msg } from '../i18n/translate.js';
import { KsStoreElement } from './base.js';
import { icons } from './icons.js';
import { base } from './styles.js';

interface Pending {
  key: number;
  name: string;
  id: string | null;
  failed: boolean;
}

/** The composer: text, priority, informal/order, quick replies, attachments (also pasted images). */
@customElement('ks-composer')
export class KsComposer extends KsStoreElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
        background: var(--ks-surface);
        border-top: 1px solid var(--ks-border);
        padding: 6px 8px;
      }
      form {
        display: flex;
        flex-direction: column;
        gap: 6px;
      }
      .row {
        display: flex;
        gap: 6px;
        align-items: center;
        flex-wrap: wrap;
      }
      textarea {
        width: 100%;
        resize: vertical;
        min-height: 44px;
        max-height: 200px;
      }
      .grow {
        flex: 1;
      }
      .chip {
        display: inline-flex;
        gap: 4px;
        align-items: center;
        background: var(--ks-surface-2);
        border-radius: 12px;
        padding: 2px 4px 2px 8px;
        font-size: 0.85em;
      }
      button[aria-pressed='true'] {
        background: var(--ks-urgent-bg);
        color: var(--ks-urgent-fg);
        font-weight: 600;
      }
      details {
        position: relative;
      }
      summary {
        list-style: none;
        cursor: pointer;
        display: inline-flex;
        align-items: center;
        border: 1px solid var(--ks-border);
        border-radius: 6px;
        padding: 5px;
        min-height: 32px;
      }
      .menu {
        position: absolute;
        bottom: 110%;
        left: 0;
        z-index: 5;
        background: var(--ks-surface);
        border: 1px solid var(--ks-border);
        border-radius: 8px;
        padding: 6px;
        min-width: 240px;
        display: flex;
        flex-direction: column;
        gap: 4px;
      }
      .menu button {
        text-align: left;
        justify-content: flex-start;
      }
      @media (max-width: 480px) {
        .send-label {
          display: none;
        }
      }
      #prio {
        max-width: 120px;
        min-width: 0;
      }
      select.critical,
      select.urgent {
        font-weight: 700;
      }
      input[type='file'] {
        /* Opened by the clip button; kept in the layout (not display: none) for automation. */
        position: absolute;
        width: 1px;
        height: 1px;
        opacity: 0;
        overflow: hidden;
      }
    `,
  ];

  @property({ attribute: false }) conversationId = '';
  @property({ attribute: false }) replyTo: string | null = null;
  @state() private text = '';
  @state() private priority: Priority = 'normal';
  @state() private kind: MessageKind = 'informal';
  @state() private files: Pending[] = [];
  @state() private error = '';
  private nextKey = 0;

  override render() {
    const s = this.store;
    const replied = this.replyTo
      ? s.messages.get(this.conversationId)?.find((m) => m.id === this.replyTo)
      : undefined;
    return html`<form
      @submit=${(e: Event) => this.submit(e)}
      @paste=${(e: ClipboardEvent) => this.onPaste(e)}
    >
      ${
        replied
          ? html`<div class="row">
              <span class="chip"
                >${msg('compose.replying', { name: s.userName(replied.authorId) })}
                <button
                  type="button"
                  class="icon"
                  aria-label=${msg('compose.cancelReply')}
                  @click=${() => this.dispatchEvent(new Event('ks-composer-cancel-reply'))}
                >
                  ${icons.close}
                </button></span
              >
            </div>`
          : nothing
      }
      ${
        this.files.length
          ? html`<div class="row">
              ${this.files.map(
                (f) =>
                  html`<span class="chip" data-testid="composer-file"
                    >${f.id ? f.name : msg('compose.uploading', { name: f.name })}
                    <button
                      type="button"
                      class="icon"
                      aria-label=${msg('compose.removeAttachment', { name: f.name })}
                      @click=${() => (this.files = this.files.filter((x) => x.key !== f.key))}
                    >
                      ${icons.close}
                    </button></span
                  >`,
              )}
            </div>`
          : nothing
      }
      <label class="sr-only" for="text">${msg('compose.label')}</label>
      <textarea
        id="text"
        data-testid="composer-text"
        rows="2"
        placeholder=${msg('compose.placeholder')}
        .value=${this.text}
        @input=${(e: Event) => (this.text = (e.target as HTMLTextAreaElement).value)}
        @keydown=${(e: KeyboardEvent) => this.onKey(e)}
      ></textarea>
      <div class="row">
        <label class="sr-only" for="prio">${msg('priority.label')}</label>
        <select
          id="prio"
          data-testid="composer-priority"
          class=${this.priority}
          @change=${(e: Event) => (this.priority = (e.target as HTMLSelectElement).value as Priority)}
        >
          ${PRIORITIES.map(
            (p) =>
              html`<option value=${p} ?selected=${p === this.priority}>
                ${msg(`priority.${p}`)}
              </option>`,
          )}
        </select>
        <button
          type="button"
          data-testid="composer-order"
          aria-pressed=${this.kind === 'order' ? 'true' : 'false'}
          @click=${() => (this.kind = this.kind === 'order' ? 'informal' : 'order')}
        >
          ${msg('kind.order')}
        </button>
        <details data-testid="composer-quick">
          <summary aria-label=${msg('compose.quick')} title=${msg('compose.quick')}>
            ${icons.quick}
          </summary>
          <div class="menu" role="group" aria-label=${msg('compose.quick')}>
            ${
              s.quickReplies.length === 0
                ? html`<span class="muted">${msg('compose.quickEmpty')}</span>`
                : s.quickReplies.map(
                    (q) =>
                      html`<button
                        type="button"
                        data-testid="quick-reply"
                        @click=${() => this.useQuick(q.text)}
                      >
                        ${q.text}
                      </button>`,
                  )
            }
            <button
              type="button"
              data-testid="quick-save"
              ?disabled=${this.text.trim().length === 0}
              @click=${() => void this.saveQuick()}
            >
              ${msg('compose.quickSave')}
            </button>
          </div>
        </details>
        <button
          type="button"
          class="icon"
          data-testid="composer-attach"
          aria-label=${msg('compose.attach')}
          title=${msg('compose.attach')}
          @click=${() => this.renderRoot.querySelector<HTMLInputElement>('input[type=file]')?.click()}
        >
          ${icons.clip}
        </button>
        <input
          type="file"
          multiple
          @change=${(e: Event) => this.onFiles(e)}
          data-testid="composer-file-input"
        />
        <span class="grow"></span>
        <button
          class="primary"
          type="submit"
          data-testid="composer-send"
          aria-label=${msg('compose.send')}
        >
          ${icons.send}<span class="send-label">${msg('compose.send')}</span>
        </button>
      </div>
      ${this.error ? html`<p role="alert">${this.error}</p>` : nothing}
    </form>`;
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void this.send();
    }
  }

  private submit(e: Event): void {
    e.preventDefault();
    void this.send();
  }

  private async send(): Promise<void> {
    const text = this.text.trim();
    if (this.files.some((f) => f.id === null && !f.failed)) return; // still uploading
    const attachmentIds = this.files.flatMap((f) => (f.id ? [f.id] : []));
    if (!text && attachmentIds.length === 0) return;
    const options = {
      priority: this.priority,
      kind: this.kind,
      attachmentIds,
      ...(this.replyTo ? { replyTo: this.replyTo } : {}),
    };
    this.text = '';
    this.files = [];
    this.priority = 'normal';
    this.kind = 'informal';
    this.dispatchEvent(new Event('ks-composer-cancel-reply'));
    try {
      await this.store.send(this.conversationId, text, options);
      this.error = '';
    } catch (err) {
      this.text = text;
      this.error = msg('compose.failed', { reason: (err as Error).message });
    }
  }

  private useQuick(text: string): void {
    this.text = this.text ? `${this.text} ${text}` : text;
    const d = this.renderRoot.querySelector('details');
    if (d) d.open = false;
    this.renderRoot.querySelector('textarea')?.focus();
  }

  private async saveQuick(): Promise<void> {
    try {
      await this.store.saveQuickReply(this.text.trim());
    } catch (err) {
      this.error = msg('error.generic', { reason: (err as Error).message });
    }
  }

  private onFiles(e: Event): void {
    const input = e.target as HTMLInputElement;
    for (const f of Array.from(input.files ?? [])) this.upload(f, f.name);
    input.value = '';
  }

  private onPaste(e: ClipboardEvent): void {
    const items = Array.from(e.clipboardData?.items ?? []);
    const images = items.filter((i) => i.kind === 'file' && i.type.startsWith('image/'));
    if (images.length === 0) return;
    e.preventDefault();
    for (const item of images) {
      const f = item.getAsFile();
      if (f) this.upload(f, f.name || `image.${item.type.split('/')[1] ?? 'png'}`);
    }
  }

  private upload(file: Blob, name: string): void {
    const key = ++this.nextKey;
    this.files = [...this.files, { key, name, id: null, failed: false }];
    this.store.upload(this.conversationId, file, name).then(
      (res) => (this.files = this.files.map((f) => (f.key === key ? { ...f, id: res.id } : f))),
      (err: Error) => {
        this.files = this.files.filter((f) => f.key !== key);
        this.error = msg('error.generic', { reason: err.message });
      },
    );
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-composer': KsComposer;
  }
  interface HTMLElementEventMap {
    'ks-composer-cancel-reply': Event;
  }
}
