/** Web client entry: registers the Lit components and mounts the app. */
import { LitElement, html } from 'lit';
import { customElement } from 'lit/decorators.js';

@customElement('ks-app')
export class KsApp extends LitElement {
  override render() {
    return html`<main>Konsilium</main>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-app': KsApp;
  }
}
