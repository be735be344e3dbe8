import { css } from 'lit';

/**
 * Shared styles. Colours come from custom properties set on `ks-app` per theme
 * (light, dark, high contrast); they inherit through every shadow root.
 */
export const base = css`
  :host {
    font-family: 'Inter', system-ui, sans-serif;
    color: var(--ks-fg);
    box-sizing: border-box;
    accent-color: var(--ks-accent);
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  button,
  input,
  select,
  textarea {
    font: inherit;
    color: inherit;
  }
  button {
    cursor: pointer;
    border: 1px solid var(--ks-border);
    background: var(--ks-surface);
    border-radius: 6px;
    padding: 6px 10px;
    min-height: 32px;
    display: inline-flex;
    align-items: center;
    gap: 6px;
  }
  button.primary {
    background: var(--ks-accent);
    color: var(--ks-on-accent);
    border-color: var(--ks-accent);
  }
  button.icon {
    padding: 4px;
    min-width: 32px;
    justify-content: center;
    background: transparent;
    border-color: transparent;
  }
  button:disabled {
    opacity: 0.55;
    cursor: default;
  }
  input,
  select,
  textarea {
    border: 1px solid var(--ks-border);
    background: var(--ks-input);
    border-radius: 6px;
    padding: 6px 8px;
  }
  :focus-visible {
    outline: 3px solid var(--ks-focus);
    outline-offset: 2px;
  }
  .muted {
    color: var(--ks-muted);
    font-size: 0.85em;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  .badge {
    display: inline-block;
    min-width: 20px;
    padding: 1px 6px;
    border-radius: 10px;
    background: var(--ks-accent);
    color: var(--ks-on-accent);
    font-size: 0.8em;
    font-weight: 600;
    text-align: center;
  }
  .prio {
    display: inline-flex;
    align-items: center;
    gap: 3px;
    padding: 1px 6px;
    border-radius: 4px;
    font-size: 0.75em;
    font-weight: 700;
    text-transform: uppercase;
    letter-spacing: 0.02em;
  }
  .prio-urgent {
    background: var(--ks-urgent-bg);
    color: var(--ks-urgent-fg);
  }
  .prio-critical {
    background: var(--ks-critical-bg);
    color: var(--ks-critical-fg);
  }
  .prio-low {
    background: var(--ks-surface-2);
    color: var(--ks-muted);
  }
  h1,
  h2,
  h3 {
    margin: 0;
    font-weight: 600;
  }
  h2 {
    font-size: 1.1em;
  }
`;

/** A bare list stacked in a column (its items style themselves). */
export const stackedList = css`
  ul {
    list-style: none;
    margin: 0;
    padding: 0;
    display: flex;
    flex-direction: column;
    gap: 6px;
  }
`;
