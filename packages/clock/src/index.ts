/**
 * Time is injected, never read from globals, so tests can freeze and move it: every
 * component that computes an expiry takes a Clock.
 */

/** A source of the current instant in epoch milliseconds. */
export interface Clock {
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** A clock that only moves when told to, for tests. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start = Date.UTC(2030, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Moves the clock forward (or back, with a negative value) by `ms` milliseconds. */
  advance(ms: number): void {
    this.#now += ms;
  }

  /** Sets the clock to an absolute instant. */
  set(epochMs: number): void {
    this.#now = epochMs;
  }
}
