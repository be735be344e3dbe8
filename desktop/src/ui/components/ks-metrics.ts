import { html, css, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { MetricsView, TimingGroup } from '@konsilium/shared';
import { formatSeconds, metricsWindow } from '../data/alert-logic.js';
import { msg } from '../i18n/translate.js';
import { KsStoreElement } from './base.js';
import { base } from './styles.js';

/** ADM-1: a simple admin view of delivery, read and acknowledgement times and escalations. */
@customElement('ks-metrics')
export class KsMetrics extends KsStoreElement {
  static override styles = [
    base,
    css`
      :host {
        display: flex;
        flex-direction: column;
        overflow: auto;
        padding: 10px 12px;
        gap: 10px;
      }
      form {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        align-items: end;
      }
      label {
        display: flex;
        flex-direction: column;
        font-size: 0.85em;
      }
      table {
        border-collapse: collapse;
        width: 100%;
        font-size: 0.85em;
        font-variant-numeric: tabular-nums;
      }
      th,
      td {
        border-bottom: 1px solid var(--ks-border);
        padding: 3px 4px;
        text-align: right;
      }
      th:first-child,
      td:first-child {
        text-align: left;
        overflow-wrap: anywhere;
      }
      caption {
        text-align: left;
        font-weight: 600;
        padding: 4px 0;
      }
      .wrap {
        overflow-x: auto;
      }
      dl {
        display: grid;
        grid-template-columns: 1fr max-content;
        gap: 2px 10px;
        margin: 0;
      }
      dd {
        margin: 0;
        text-align: right;
        font-variant-numeric: tabular-nums;
      }
    `,
  ];

  @state() private days = 7;
  @state() private data: MetricsView | null = null;
  @state() private error = '';
  @state() private busy = false;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    const w = metricsWindow(Date.now(), this.days);
    this.busy = true;
    this.error = '';
    try {
      this.data = await this.store.metrics(w.from, w.to);
    } catch (err) {
      this.error = (err as { message?: string }).message ?? String(err);
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const d = this.data;
    return html`
      <h2>${msg('metrics.title')}</h2>
      <form
        @submit=${(e: Event) => {
          e.preventDefault();
          void this.load();
        }}
      >
        <label
          >${msg('metrics.period')}
          <select
            data-testid="metrics-days"
            @change=${(e: Event) => (this.days = Number((e.target as HTMLSelectElement).value))}
          >
            ${[1, 7, 30, 92].map(
              (n) =>
                html`<option value=${n} ?selected=${n === this.days}>
                  ${msg('metrics.days', { n })}
                </option>`,
            )}
          </select></label
        >
        <button type="submit" data-testid="metrics-refresh" ?disabled=${this.busy}>
          ${msg('metrics.refresh')}
        </button>
      </form>
      ${
        this.error
          ? html`<p role="alert" data-testid="metrics-error">
              ${msg('metrics.unavailable')}: ${this.error}
            </p>`
          : nothing
      }
      ${d ? this.view(d) : this.busy ? html`<p role="status">${msg('conv.loading')}</p>` : nothing}
    `;
  }

  private view(d: MetricsView) {
    const e = d.escalations;
    return html`
      <dl data-testid="metrics-volumes">
        <dt>${msg('metrics.messages')}</dt>
        <dd data-testid="metrics-total">${d.volumes.total}</dd>
        <dt>${msg('metrics.orders')}</dt>
        <dd>${d.volumes.orders}</dd>
        ${
          e.available
            ? html`<dt>${msg('metrics.escStarted')}</dt>
                <dd data-testid="metrics-esc-started">${e.started}</dd>
                <dt>${msg('metrics.escAcked')}</dt>
                <dd data-testid="metrics-esc-acked">${e.acknowledged}</dd>
                <dt>${msg('metrics.escOpen')}</dt>
                <dd>${e.open}</dd>
                ${e.acknowledgedAtStep.map(
                  (s) =>
                    html`<dt>${msg('metrics.ackAtStep', { n: s.step + 1 })}</dt>
                      <dd>${s.count}</dd>`,
                )}`
            : nothing
        }
      </dl>
      ${this.table(msg('metrics.byPriority'), d.byPriority, 'priority')}
      ${this.table(msg('metrics.byUnit'), d.byUnit, 'unit')}
      ${this.table(msg('metrics.byRole'), d.byRole, 'role')}
      ${
        d.interruptions.length
          ? html`<div class="wrap">
              <table data-testid="metrics-interruptions">
                <caption>
                  ${msg('metrics.interruptions')}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">${msg('metrics.person')}</th>
                    <th scope="col">${msg('metrics.count')}</th>
                    <th scope="col">${msg('metrics.breakThroughs')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${d.interruptions.map(
                    (r) =>
                      html`<tr>
                        <th scope="row">${r.fullName}</th>
                        <td>${r.count}</td>
                        <td>${r.breakThroughs}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : nothing
      }
    `;
  }

  private table(caption: string, rows: TimingGroup[], kind: 'priority' | 'unit' | 'role') {
    if (rows.length === 0) return nothing;
    const label = (g: TimingGroup) =>
      kind === 'priority' && g.key
        ? msg(`priority.${g.key as 'low' | 'normal' | 'urgent' | 'critical'}`)
        : g.label || '—';
    return html`<div class="wrap">
      <table data-testid=${`metrics-${kind}`}>
        <caption>
          ${caption}
        </caption>
        <thead>
          <tr>
            <th scope="col"></th>
            <th scope="col">${msg('metrics.count')}</th>
            <th scope="col">${msg('metrics.deliver')}</th>
            <th scope="col">${msg('metrics.read')}</th>
            <th scope="col">${msg('metrics.ack')}</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (g) =>
              html`<tr>
                <th scope="row">${label(g)}</th>
                <td>${g.messages}</td>
                <td>
                  ${formatSeconds(g.deliver.medianSeconds)} / ${formatSeconds(g.deliver.p90Seconds)}
                </td>
                <td>
                  ${formatSeconds(g.read.medianSeconds)} / ${formatSeconds(g.read.p90Seconds)}
                </td>
                <td>${formatSeconds(g.ack.medianSeconds)} / ${formatSeconds(g.ack.p90Seconds)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <p class="muted">${msg('metrics.legend')}</p>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-metrics': KsMetrics;
  }
}
