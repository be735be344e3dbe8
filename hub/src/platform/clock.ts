/** The time source; injected so tests can move time without sleeping. */
export interface Clock {
  now(): Date;
}

/** The real clock. */
export const systemClock: Clock = { now: () => new Date() };

/** UTC ISO 8601 with milliseconds: the stored and wire form of every time (sorts as text). */
export function iso(date: Date): string {
  return date.toISOString();
}
