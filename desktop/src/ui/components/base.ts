import { LitElement } from 'lit';
import { property } from 'lit/decorators.js';
import type { UserView } from '@konsilium/shared';
import type { Store } from '../data/store.js';

/** Base of the screens: holds the store and re-renders on its `change` event. */
export class KsStoreElement extends LitElement {
  @property({ attribute: false }) store!: Store;
  private subscribed: Store | null = null;
  private readonly onChange = () => this.requestUpdate();
  private staffTimer: ReturnType<typeof setTimeout> | undefined;

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

  /**
   * The staff search behind a person picker: 200 ms after the last keystroke
   * the hub is asked for `query`; `found` gets the hits, or `null` at once
   * when the query is under two characters (nothing is asked).
   */
  protected lookUpStaff(
    query: string,
    found: (items: UserView[] | null) => void,
    failed: (err: Error) => void,
  ): void {
    clearTimeout(this.staffTimer);
    if (query.trim().length < 2) {
      found(null);
      return;
    }
    this.staffTimer = setTimeout(() => {
      this.store
        .searchStaff(query.trim())
        .then((page) => found(page.items))
        .catch(failed);
    }, 200);
  }

  private subscribe(): void {
    if (!this.store || this.subscribed === this.store) return;
    this.subscribed?.removeEventListener('change', this.onChange);
    this.store.addEventListener('change', this.onChange);
    this.subscribed = this.store;
  }
}
