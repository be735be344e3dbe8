import type { FetchLike } from './types.js';

/**
 * The few globals the SDK needs that are neither in ES2023 nor declared for
 * `shared` (no DOM or Node types): present in Node 20 and every browser.
 */
interface Globals {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  crypto?: { randomUUID(): string };
  fetch?: FetchLike;
}

const g = globalThis as unknown as Globals;

export function later(callback: () => void, ms: number): unknown {
  return g.setTimeout(callback, ms);
}

export function cancel(handle: unknown): void {
  if (handle !== null && handle !== undefined) g.clearTimeout(handle);
}

/** A random UUID v4 (`crypto.randomUUID`). */
export function uuid(): string {
  if (!g.crypto) throw new Error('crypto.randomUUID is not available');
  return g.crypto.randomUUID();
}

export function globalFetch(): FetchLike {
  if (!g.fetch) throw new Error('no global fetch: pass options.fetch');
  const f = g.fetch;
  return (url, init) => f(url, init);
}
