import { html, css, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { HubError } from '@konsilium/shared';
import { msg } from '../i18n/translate.js';
import { KsStoreElement } from './base.js';
import { base } from './styles.js';

/** Sign-in form (login + password). */
@customElement('ks-sign-in')
export class KsSignIn extends KsStoreElement {
  static override styles = [
    base,
    css`
      :host {
        display: flex;
        justify-content: center;
        align-items: flex-start;
        padding: 48px 16px;
        flex: 1;
      }
      form {
        width: 100%;
        max-width: 360px;
        display: flex;
        flex-direction: column;
        gap: 12px;
        background: var(--ks-surface);
        border: 1px solid var(--ks-border);
        border-radius: 10px;
        padding: 20px;
      }
      label {
        display: flex;
        flex-direction: column;
        gap: 4px;
        font-weight: 500;
      }
      .error {
        color: var(--ks-critical-bg);
        font-weight: 500;
      }
      button.primary {
        justify-content: center;
        min-height: 40px;
      }
    `,
  ];

  @state() private busy = false;
  @state() private error = '';

  override render() {
    const ended = this.store.sessionEnded && !this.error;
    return html`
      <form @submit=${(e: SubmitEvent) => void this.submit(e)} aria-labelledby="t" novalidate>
        <h2 id="t">${msg('signin.title')}</h2>
        ${ended ? html`<p role="status">${msg('signin.ended')}</p>` : nothing}
        <label
          >${msg('signin.login')}
          <input
            name="login"
            data-testid="signin-login"
            autocomplete="username"
            required
            autocapitalize="off"
            spellcheck="false"
        /></label>
        <label
          >${msg('signin.password')}
          <input
            name="password"
            type="password"
            data-testid="signin-password"
            autocomplete="current-password"
            required
        /></label>
        ${
          this.error
            ? html`<p class="error" role="alert" data-testid="signin-error">${this.error}</p>`
            : nothing
        }
        <button class="primary" type="submit" data-testid="signin-submit" ?disabled=${this.busy}>
          ${msg(this.busy ? 'signin.busy' : 'signin.submit')}
        </button>
      </form>
    `;
  }

  private async submit(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const login = String((data.get('login') as string | null) ?? '').trim();
    const password = String((data.get('password') as string | null) ?? '');
    if (!login || !password) {
      this.error = msg('signin.failed');
      return;
    }
    this.busy = true;
    this.error = '';
    try {
      await this.store.signIn(login, password);
    } catch (err) {
      const h = err instanceof HubError ? err : null;
      if (h?.code === 'auth.throttled')
        this.error = msg('signin.throttled', {
          s: Number(h.details?.retryAfterSeconds ?? 60),
        });
      else if (h && h.code.startsWith('client.')) this.error = msg('signin.unreachable');
      else this.error = msg('signin.failed');
    } finally {
      this.busy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-sign-in': KsSignIn;
  }
}
