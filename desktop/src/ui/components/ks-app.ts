import { html, css, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { msg } from '../i18n/translate.js';
import { KsStoreElement } from './base.js';
import { KsConversationOpenEvent, KsScreenChangeEvent } from './events.js';
import { icons } from './icons.js';
import type { Screen } from './screens.js';
import { base } from './styles.js';
import './ks-sign-in.js';
import './ks-conversation-list.js';
import './ks-conversation-view.js';
import './ks-staff-search.js';
import './ks-patient-banner.js';
import './ks-inbox.js';
import './ks-settings.js';
import './ks-duty.js';
import './ks-alert-overlay.js';
import './ks-metrics.js';

/** The root: sign-in or the signed-in shell (navigation, patient banner, the current screen). */
@customElement('ks-app')
export class KsApp extends KsStoreElement {
  static override styles = [
    base,
    css`
      :host {
        --ks-bg: #f4f6f8;
        --ks-fg: #17202a;
        --ks-muted: #55616d;
        --ks-surface: #ffffff;
        --ks-surface-2: #e9edf1;
        --ks-input: #ffffff;
        --ks-border: #c3cbd3;
        --ks-accent: #0b5cad;
        --ks-on-accent: #ffffff;
        --ks-focus: #f0a500;
        --ks-mine: #dcebfb;
        --ks-urgent-bg: #ffe2b8;
        --ks-urgent-fg: #7a3d00;
        --ks-critical-bg: #b00020;
        --ks-critical-fg: #ffffff;
        --ks-warn-bg: #fff4ce;
        --ks-warn-fg: #5c4300;
        display: flex;
        flex-direction: column;
        height: 100vh;
        background: var(--ks-bg);
        font-size: 15px;
      }
      :host([theme='dark']) {
        --ks-bg: #12171c;
        --ks-fg: #e8edf2;
        --ks-muted: #a3afbb;
        --ks-surface: #1c242c;
        --ks-surface-2: #27313b;
        --ks-input: #151b21;
        --ks-border: #3a4652;
        --ks-accent: #5aa9ff;
        --ks-on-accent: #0b1420;
        --ks-mine: #1d3550;
        --ks-urgent-bg: #5a3500;
        --ks-urgent-fg: #ffd9a0;
        --ks-warn-bg: #4a3b00;
        --ks-warn-fg: #ffe9a0;
      }
      :host([theme='contrast']) {
        --ks-bg: #000000;
        --ks-fg: #ffffff;
        --ks-muted: #ffffff;
        --ks-surface: #000000;
        --ks-surface-2: #000000;
        --ks-input: #000000;
        --ks-border: #ffffff;
        --ks-accent: #ffff00;
        --ks-on-accent: #000000;
        --ks-focus: #00ffff;
        --ks-mine: #000000;
        --ks-urgent-bg: #ffff00;
        --ks-urgent-fg: #000000;
        --ks-critical-bg: #ff4040;
        --ks-critical-fg: #000000;
        --ks-warn-bg: #ffff00;
        --ks-warn-fg: #000000;
      }
      @media (forced-colors: active) {
        :host {
          --ks-focus: Highlight;
          --ks-border: CanvasText;
        }
      }
      header {
        display: flex;
        align-items: center;
        gap: 8px;
        padding: 6px 10px;
        background: var(--ks-surface);
        border-bottom: 1px solid var(--ks-border);
      }
      header h1 {
        font-size: 1.05em;
        flex: 1;
      }
      .conn {
        font-size: 0.8em;
        padding: 2px 8px;
        border-radius: 10px;
        background: var(--ks-warn-bg);
        color: var(--ks-warn-fg);
      }
      nav {
        display: flex;
        background: var(--ks-surface);
        border-bottom: 1px solid var(--ks-border);
      }
      nav button {
        flex: 1;
        min-width: 0;
        border: none;
        border-radius: 0;
        border-bottom: 3px solid transparent;
        justify-content: center;
        padding: 8px 2px;
        font-size: 0.85em;
        flex-direction: column;
        gap: 2px;
      }
      nav button span {
        max-width: 100%;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      @media (max-width: 400px) {
        nav button {
          font-size: 0.74em;
        }
      }
      nav button[aria-current='page'] {
        border-bottom-color: var(--ks-accent);
        font-weight: 600;
      }
      .count {
        font-size: 0.75em;
      }
      main {
        flex: 1;
        min-height: 0;
        display: flex;
      }
      .side {
        display: flex;
        width: 340px;
        border-right: 1px solid var(--ks-border);
      }
      .side > * {
        flex: 1;
      }
      .content {
        flex: 1;
        min-width: 0;
        display: flex;
        flex-direction: column;
      }
      .content > * {
        flex: 1;
        min-height: 0;
      }
      .skip {
        position: absolute;
        left: -1000px;
      }
      .skip:focus {
        left: 8px;
        top: 8px;
        z-index: 10;
        background: var(--ks-surface);
        padding: 6px;
      }
    `,
  ];

  @state() private screen: Screen = 'list';
  @state() private conversationId: string | null = null;
  @state() private searchMode: 'direct' | 'patient' = 'direct';
  @state() private ready = false;
  @state() private wide = false;
  private readonly media = window.matchMedia('(min-width: 820px)');

  override connectedCallback(): void {
    super.connectedCallback();
    this.addEventListener(KsConversationOpenEvent.type, (e) => {
      this.conversationId = e.conversationId;
      this.store.openConversation = e.conversationId;
      this.screen = 'conversation';
    });
    this.addEventListener(KsScreenChangeEvent.type, (e) => {
      this.screen = e.screen;
      this.searchMode = e.mode;
      if (e.screen !== 'conversation') this.store.openConversation = null;
    });
    // In the desktop shell, a click on an alert notification opens its conversation.
    globalThis.konsilium?.onOpenConversation?.((conversationId) => {
      this.dispatchEvent(new KsConversationOpenEvent(conversationId));
    });
    this.wide = this.media.matches;
    this.media.addEventListener('change', () => (this.wide = this.media.matches));
    void this.init();
  }

  private async init(): Promise<void> {
    this.store.watchPatient();
    await this.store.loadEnvironment();
    await this.store.restore().catch(() => false);
    this.ready = true;
  }

  override render() {
    const s = this.store;
    this.setAttribute('theme', s.prefs.theme);
    document.documentElement.lang = s.prefs.locale;
    const unread = s.me ? s.conversations.reduce((n, c) => n + s.unread(c.id), 0) : 0;
    document.title = unread > 0 ? `(${unread}) ${msg('app.title')}` : msg('app.title');
    if (!this.ready) return html`<p role="status" class="muted">${msg('conv.loading')}</p>`;
    if (!s.me) return html`<ks-sign-in .store=${s}></ks-sign-in>`;
    // A critical alert on top is modal: the screens behind it take no focus or clicks.
    const alertsUp = s.myAlerts().length > 0;
    const inboxCount = s.inbox().filter((i) => i.reason !== 'unread').length;
    const tab = (screen: Screen, label: string, icon: unknown, extra: unknown = nothing) => html`
      <button
        data-testid=${`nav-${screen === 'list' ? 'conversations' : screen}`}
        aria-current=${this.screen === screen || (screen === 'list' && this.screen === 'conversation') ? 'page' : 'false'}
        @click=${() => this.go(screen)}
      >
        ${icon}<span>${label}</span>${extra}
      </button>
    `;
    return html`
      <a class="skip" href="#content" ?inert=${alertsUp} @click=${(e: Event) => this.skip(e)}
        >${msg('app.skip')}</a
      >
      <header ?inert=${alertsUp}>
        <h1>${msg('app.title')}</h1>
        ${
          s.status === 'open'
            ? nothing
            : html`<span class="conn" role="status" data-testid="connection"
                >${msg(s.status === 'connecting' ? 'conn.connecting' : 'conn.closed')}</span
              >`
        }
      </header>
      <nav aria-label=${msg('nav.label')} ?inert=${alertsUp}>
        ${tab('list', msg('nav.conversations'), icons.chat)}
        ${tab(
          'inbox',
          msg('nav.inbox'),
          icons.inbox,
          inboxCount > 0
            ? html`<span class="badge count" data-testid="inbox-count">${inboxCount}</span>`
            : nothing,
        )}
        ${tab('search', msg('nav.search'), icons.search)}
        ${tab('duty', msg('nav.duty'), icons.duty)}
        ${s.canViewMetrics() ? tab('metrics', msg('nav.metrics'), icons.chart) : nothing}
        ${tab('settings', msg('nav.settings'), icons.settings)}
      </nav>
      <ks-patient-banner .store=${s} ?inert=${alertsUp}></ks-patient-banner>
      <main ?inert=${alertsUp}>
        ${
          this.wide && this.screen !== 'list'
            ? html`<div class="side">
                <ks-conversation-list
                  .store=${s}
                  .selected=${this.conversationId}
                ></ks-conversation-list>
              </div>`
            : nothing
        }
        <div class="content" id="content" tabindex="-1">${this.renderScreen()}</div>
      </main>
      <ks-alert-overlay .store=${s}></ks-alert-overlay>
    `;
  }

  private renderScreen() {
    const s = this.store;
    switch (this.screen) {
      case 'conversation':
        return this.conversationId
          ? html`<ks-conversation-view
              .store=${s}
              .conversationId=${this.conversationId}
            ></ks-conversation-view>`
          : nothing;
      case 'search':
        return html`<ks-staff-search .store=${s} .mode=${this.searchMode}></ks-staff-search>`;
      case 'inbox':
        return html`<ks-inbox .store=${s}></ks-inbox>`;
      case 'duty':
        return html`<ks-duty .store=${s}></ks-duty>`;
      case 'settings':
        return html`<ks-settings .store=${s}></ks-settings>`;
      case 'metrics':
        return html`<ks-metrics .store=${s}></ks-metrics>`;
      default:
        return html`<ks-conversation-list
          .store=${s}
          .selected=${this.conversationId}
        ></ks-conversation-list>`;
    }
  }

  private go(screen: Screen): void {
    this.screen = screen;
    this.searchMode = 'direct';
    if (screen !== 'conversation') this.store.openConversation = null;
  }

  private skip(e: Event): void {
    e.preventDefault();
    this.renderRoot.querySelector<HTMLElement>('#content')?.focus();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-app': KsApp;
  }
}
