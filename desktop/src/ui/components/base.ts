import { LitElement } from 'lit';
import { property } from 'lit/decorators.js';
import type { Store } from '../data/store.js';

/** Base of the screens: holds the store and re-renders on its `change` event. */
export class KsStoreElement extends LitElement {
  @property({ attribute: false }) store!: Store;
  private subscribed: Store | null = null;
  private readonly onChange = () => this.requestUpdate();

  override connectedCallback(): void {
    super.connectedCallback();
    this.subscribe();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.subscribed?.removeEventListener('change', this.onChange);
    this.subscribed = null;
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('store')) this.subscribe();
  }

  private subscribe(): void {
    if (!this.store || this.subscribed === this.store) return;
    this.subscribed?.removeEventListener('change', this.onChange);
    this.store.addEventListener('change', this.onChange);
    this.subscribed = this.store;
  }
}
