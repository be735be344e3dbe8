import { html, css, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { AckResponse } from '@konsilium/shared';
import {
  formatCountdown,
  needsReadBack,
  patientLine,
  readBackProblem,
  secondsToNext,
  type ReadBackProblem,
  type UiAlert,
} from '../data/alert-logic.js';
import { ACK_BUTTONS } from '../data/logic.js';
import { getLocale, msg } from '../i18n/translate.js';
import { KsStoreElement } from './base.js';
import { callBackMinutes } from './call-back.js';
import { icons } from './icons.js';
import { base } from './styles.js';
import './ks-alert-timeline.js';

const CALL_BACK_MINUTES = [5, 10, 15, 30] as const;

/**
 * ESC-1/CTX-5: the alerts asking the signed-in user, on top of every screen
 * until acknowledged. Shows the patient, test, value, units and flag, the
 * countdown to the next escalation step, the timeline and the typed answers;
 * accepting a critical result asks for read-back (value and action taken).
 * The repeating sound is driven by the store (`tickAlerts`).
 */
@customElement('ks-alert-overlay')
export class KsAlertOverlay extends KsStoreElement {
  static override styles = [
    base,
    css`
      :host {
        position: fixed;
        inset: 0;
        z-index: 1000;
        display: flex;
        flex-direction: column;
        background: rgb(0 0 0 / 45%);
        padding: 8px;
        overflow: auto;
      }
      :host([hidden]) {
        display: none;
      }
      section {
        background: var(--ks-surface);
        border: 3px solid var(--ks-critical-bg);
        border-radius: 10px;
        display: flex;
        flex-direction: column;
        gap: 8px;
        padding: 0 0 10px;
        max-width: 560px;
        width: 100%;
        margin: 0 auto;
      }
      section.urgent {
        border-color: var(--ks-urgent-fg);
      }
      .bar {
        background: var(--ks-critical-bg);
        color: var(--ks-critical-fg);
        padding: 8px 10px;
        display: flex;
        align-items: center;
        gap: 8px;
        font-weight: 700;
      }
      section.urgent .bar {
        background: var(--ks-urgent-bg);
        color: var(--ks-urgent-fg);
      }
      .bar h2 {
        flex: 1;
        font-size: 1.05em;
      }
      .body {
        padding: 0 10px;
        display: flex;
        flex-direction: column;
        gap: 8px;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 2px 10px;
        margin: 0;
      }
      dt {
        color: var(--ks-muted);
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
      .value {
        font-size: 1.4em;
        font-weight: 700;
      }
      .flag {
        font-weight: 700;
        color: var(--ks-critical-bg);
      }
      .countdown {
        font-variant-numeric: tabular-nums;
        font-weight: 600;
        padding: 4px 8px;
        border-radius: 6px;
        background: var(--ks-warn-bg);
        color: var(--ks-warn-fg);
      }
      .buttons {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
      }
      .buttons button {
        min-height: 40px;
      }
      form {
        display: flex;
        flex-direction: column;
        gap: 6px;
        border: 1px solid var(--ks-border);
        border-radius: 8px;
        padding: 8px;
      }
      label {
        display: flex;
        flex-direction: column;
        gap: 2px;
      }
      .error {
        color: var(--ks-critical-bg);
        font-weight: 600;
      }
      .more {
        text-align: center;
        color: #fff;
        padding: 6px;
      }
    `,
  ];

  @state() private minutes = 10;
  /** The answer waiting for read-back, for the alert on top. */
  @state() private pending: { alertId: string; response: AckResponse } | null = null;
  @state() private value = '';
  @state() private action = '';
  @state() private problem: ReadBackProblem | 'server' = null;
  @state() private serverError = '';
  @state() private busy = false;
  private shownId: string | null = null;

  override render() {
    const s = this.store;
    const alerts = s.myAlerts();
    this.hidden = alerts.length === 0;
    if (alerts.length === 0) {
      this.shownId = null;
      return nothing;
    }
    const a = alerts[0]!;
    if (this.shownId !== a.id) {
      this.shownId = a.id;
      this.pending = null;
      this.problem = null;
      this.value = '';
      this.action = '';
      void this.updateComplete.then(() =>
        this.renderRoot.querySelector<HTMLElement>('[data-testid="alert-ack-accepted"]')?.focus(),
      );
    }
    const now = Date.now();
    const left = secondsToNext(a, now);
    const muted = s.sound.mutedUntil > now;
    const timeFmt = new Intl.DateTimeFormat(getLocale(), { hour: '2-digit', minute: '2-digit' });
    return html`
      <section
        class=${a.priority}
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="alert-title"
        aria-describedby="alert-facts"
        data-testid="alert-overlay"
        data-alert-id=${a.id}
        data-kind=${a.kind}
      >
        <div class="bar">
          ${icons.alert}
          <h2 id="alert-title" data-testid="alert-title">${msg(`alert.title.${a.kind}`)}</h2>
          <button
            class="icon"
            data-testid="alert-mute"
            aria-pressed=${muted ? 'true' : 'false'}
            @click=${() => s.muteAlerts()}
          >
            ${msg('alert.mute')}
          </button>
        </div>
        <div class="body">
          ${this.facts(a)}
          <div role="timer" aria-live="off" class="countdown" data-testid="alert-countdown">
            ${
              left === null
                ? msg('alert.noNext')
                : left === 0
                  ? msg('alert.nextDue')
                  : msg('alert.next', { time: formatCountdown(left) })
            }
          </div>
          ${
            muted
              ? html`<p class="muted" role="status">
                  ${msg('alert.muted', { time: timeFmt.format(new Date(s.sound.mutedUntil)) })}
                </p>`
              : nothing
          }
          <p class="muted" data-testid="alert-targets">
            ${msg('alert.targets', { names: a.targets.map((t) => t.fullName).join(', ') })}
          </p>
          ${this.pending?.alertId === a.id ? this.readBackForm(a) : this.buttons(a)}
          ${
            this.problem === 'server'
              ? html`<p class="error" role="alert" data-testid="alert-error">
                  ${msg('error.generic', { reason: this.serverError })}
                </p>`
              : nothing
          }
          <ks-alert-timeline .alert=${a}></ks-alert-timeline>
        </div>
      </section>
      ${
        alerts.length > 1
          ? html`<p class="more" data-testid="alert-more">
              ${msg('alert.more', { n: alerts.length - 1 })}
            </p>`
          : nothing
      }
    `;
  }

  private facts(a: UiAlert) {
    const r = a.result;
    const patient = patientLine(a);
    return html`<dl id="alert-facts">
      ${
        patient
          ? html`<dt>${msg('alert.patient')}</dt>
              <dd data-testid="alert-patient">${patient}</dd>`
          : nothing
      }
      ${
        r
          ? html`<dt>${msg('alert.test')}</dt>
              <dd data-testid="alert-test">${r.test.display ?? r.test.code}</dd>
              <dt>${msg('alert.value')}</dt>
              <dd>
                <span class="value" data-testid="alert-value">${r.value}</span>
                ${r.units ? html`<span data-testid="alert-units">${r.units}</span>` : nothing}
              </dd>
              <dt>${msg('alert.flag')}</dt>
              <dd class="flag" data-testid="alert-flag">${r.flag}</dd>
              ${
                r.referenceRange
                  ? html`<dt>${msg('alert.range')}</dt>
                      <dd>${r.referenceRange}</dd>`
                  : nothing
              }`
          : nothing
      }
    </dl>`;
  }

  private buttons(a: UiAlert) {
    return html`<div class="buttons" role="group" aria-label=${msg('ack.label')}>
      ${ACK_BUTTONS.map((r) =>
        r === 'call_back'
          ? html`<span class="buttons">
              <button
                data-testid="alert-ack-call_back"
                ?disabled=${this.busy}
                @click=${() => void this.answer(a, r)}
              >
                ${msg('ack.call_back', { m: this.minutes })}
              </button>
              ${callBackMinutes(CALL_BACK_MINUTES, this.minutes, (n) => (this.minutes = n), 'alert-minutes')}
            </span>`
          : html`<button
              class=${r === 'accepted' ? 'primary' : ''}
              data-testid=${`alert-ack-${r}`}
              ?disabled=${this.busy}
              @click=${() => void this.answer(a, r)}
            >
              ${msg(`ack.${r}`)}
            </button>`,
      )}
    </div>`;
  }

  private readBackForm(a: UiAlert) {
    const problem = this.problem && this.problem !== 'server' ? this.problem : null;
    return html`<form
      data-testid="alert-readback"
      aria-labelledby="rb-title"
      @submit=${(e: Event) => {
        e.preventDefault();
        void this.submitReadBack(a);
      }}
    >
      <h3 id="rb-title">${msg('alert.readBack.title')}</h3>
      <p class="muted">${msg('alert.readBack.hint')}</p>
      <label
        >${msg('alert.readBack.value')}
        <input
          data-testid="alert-readback-value"
          autocomplete="off"
          inputmode="decimal"
          .value=${this.value}
          aria-invalid=${problem === 'value_missing' || problem === 'value_mismatch' ? 'true' : 'false'}
          @input=${(e: Event) => (this.value = (e.target as HTMLInputElement).value)}
      /></label>
      <label
        >${msg('alert.readBack.action')}
        <textarea
          data-testid="alert-readback-action"
          rows="2"
          maxlength="500"
          .value=${this.action}
          aria-invalid=${problem === 'action_missing' ? 'true' : 'false'}
          @input=${(e: Event) => (this.action = (e.target as HTMLTextAreaElement).value)}
        ></textarea>
      </label>
      ${
        problem
          ? html`<p class="error" role="alert" data-testid="alert-readback-problem">
              ${msg(`alert.readBack.${problem}`)}
            </p>`
          : nothing
      }
      <div class="buttons">
        <button
          type="submit"
          class="primary"
          data-testid="alert-readback-submit"
          ?disabled=${this.busy}
        >
          ${msg('alert.readBack.submit')} ·
          ${msg(`ack.${this.pending!.response}`, { m: this.minutes })}
        </button>
        <button
          type="button"
          data-testid="alert-readback-cancel"
          @click=${() => (this.pending = null)}
        >
          ${msg('msg.cancel')}
        </button>
      </div>
    </form>`;
  }

  private async answer(a: UiAlert, response: AckResponse): Promise<void> {
    if (needsReadBack(a, response)) {
      this.pending = { alertId: a.id, response };
      this.problem = null;
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('[data-testid="alert-readback-value"]')?.focus();
      return;
    }
    await this.send(a, response);
  }

  private async submitReadBack(a: UiAlert): Promise<void> {
    const problem = readBackProblem(a, this.value, this.action);
    this.problem = problem;
    if (problem || !this.pending) return;
    await this.send(a, this.pending.response, {
      value: this.value.trim(),
      action: this.action.trim(),
    });
  }

  private async send(
    a: UiAlert,
    response: AckResponse,
    readBack?: { value: string; action: string },
  ): Promise<void> {
    this.busy = true;
    try {
      await this.store.ackAlert(a.id, {
        response,
        ...(response === 'call_back' ? { minutes: this.minutes } : {}),
        ...(readBack ? { readBack } : {}),
      });
      this.pending = null;
      this.problem = null;
    } catch (err) {
      this.problem = 'server';
      this.serverError = (err as { message?: string }).message ?? String(err);
    } finally {
      this.busy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-alert-overlay': KsAlertOverlay;
  }
}
