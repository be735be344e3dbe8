import { html } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import { msg } from '../i18n/translate.js';

/**
 * The minutes picker beside the «call back in N minutes» answer: `choices`
 * with `minutes` selected; `pick` gets the new choice.
 */
export function callBackMinutes(
  choices: readonly number[],
  minutes: number,
  pick: (n: number) => void,
  testId?: string,
) {
  return html`<select
    aria-label=${msg('ack.minutes')}
    data-testid=${ifDefined(testId)}
    @change=${(e: Event) => pick(Number((e.target as HTMLSelectElement).value))}
  >
    ${choices.map((n) => html`<option value=${n} ?selected=${n === minutes}>${n}</option>`)}
  </select>`;
}
