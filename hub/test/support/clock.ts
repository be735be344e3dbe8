import type { Clock } from '../../src/platform/clock.js';

/** A clock tests move by hand; nothing sleeps for real. */
export class FakeClock implements Clock {
  private t: number;
  constructor(start: Date | string = '2026-11-27T09:00:00.000Z') {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
  advanceSeconds(s: number): void {
    this.t += s * 1000;
  }
}
