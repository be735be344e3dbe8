import { html, css, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { timelineKey, timelineWho, type UiAlert } from '../data/alert-logic.js';
import { getLocale, msg } from '../i18n/translate.js';
import { base } from './styles.js';

/** ESC-2: an alert's escalation timeline — every step, its outcome and every cancellation. */
@customElement('ks-alert-timeline')
export class KsAlertTimeline extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
        font-size: 0.85em;
      }
      ol {
        list-style: none;
        margin: 4px 0 0;
        padding: 0 0 0 10px;
        border-left: 2px solid var(--ks-border);
        display: flex;
        flex-direction: column;
        gap: 3px;
      }
      li {
        display: flex;
        flex-wrap: wrap;
        gap: 0 6px;
      }
      time {
        font-variant-numeric: tabular-nums;
        color: var(--ks-muted);
      }
      .what {
        font-weight: 600;
      }
      li[data-type='acknowledged'] .what,
      li[data-type='read_back'] .what {
        color: var(--ks-accent);
      }
      li[data-type='cancelled'] {
        color: var(--ks-muted);
      }
      h3 {
        font-size: 1em;
      }
    `,
  ];

  @property({ attribute: false }) alert!: UiAlert;

  override render() {
    const a = this.alert;
    if (!a) return nothing;
    const fmt = new Intl.DateTimeFormat(getLocale(), {
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    return html`
      <h3 id="tl">${msg('alert.timeline')}</h3>
      <ol aria-labelledby="tl" data-testid="alert-timeline">
        ${a.timeline.map(
          (e) =>
            html`<li data-testid="alert-timeline-entry" data-type=${e.type}>
              <time datetime=${e.at}>${fmt.format(new Date(e.at))}</time>
              <span class="what">${msg(timelineKey(e))}</span>
              ${e.step !== undefined ? html`<span>${msg('alert.step', { n: e.step + 1 })}</span>` : nothing}
              ${e.channel ? html`<span>${msg(`alert.channel.${e.channel}`)}</span>` : nothing}
              ${e.response ? html`<span>${msg(`ack.${e.response}`, { m: '' })}</span>` : nothing}
              ${e.stepType === 'wait' && e.note ? html`<span>${e.note}</span>` : nothing}
              <span>${timelineWho(e)}</span>
            </li>`,
        )}
      </ol>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-alert-timeline': KsAlertTimeline;
  }
}
