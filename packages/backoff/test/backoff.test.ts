import { isTesseraError } from '@tessera/errors';
import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay, ReconnectTimer, type Timers } from '../src/index.js';

/** Timers that fire only when the test moves time forward. */
class ManualTimers implements Timers {
  now = 0;
  readonly #due = new Map<number, { at: number; callback: () => void }>();
  #next = 0;

  setTimeout(callback: () => void, ms: number): unknown {
    this.#next += 1;
    this.#due.set(this.#next, { at: this.now + ms, callback });
    return this.#next;
  }

  clearTimeout(handle: unknown): void {
    this.#due.delete(handle as number);
  }

  get scheduled(): number {
    return this.#due.size;
  }

  advance(ms: number): void {
    this.now += ms;
    for (const [handle, entry] of [...this.#due]) {
      if (entry.at <= this.now) {
        this.#due.delete(handle);
        entry.callback();
      }
    }
  }
}

const always = (value: number) => () => value;

describe('backoffDelay', () => {
  it('grows exponentially from initialMs and stops at maxMs', () => {
    const options = { initialMs: 100, maxMs: 1000, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, options))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('never overflows on a very long outage', () => {
    expect(backoffDelay(1_000_000, { initialMs: 50, maxMs: 2000, jitter: 0 })).toBe(2000);
  });

  it('keeps a jittered delay between (1 - jitter) and all of the step', () => {
    const base = { initialMs: 1000, maxMs: 1000, jitter: 0.5 };
    expect(backoffDelay(1, { ...base, random: always(0) })).toBe(500);
    expect(backoffDelay(1, { ...base, random: always(0.5) })).toBe(750);
    expect(backoffDelay(1, { ...base, random: always(0.999) })).toBe(1000);
    expect(backoffDelay(1, { ...base, jitter: 1, random: always(0) })).toBe(0);
  });

  it('spreads a fleet: real randomness gives different delays within the bounds', () => {
    const delays = Array.from({ length: 200 }, () => backoffDelay(3, { initialMs: 100 }));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...delays)).toBeLessThanOrEqual(400);
    expect(new Set(delays).size).toBeGreaterThan(10);
  });

  it('refuses nonsensical options with INVALID_ARGUMENT naming the option', () => {
    const cases = [
      { initialMs: 0 },
      { initialMs: Number.NaN },
      { initialMs: 100, maxMs: 50 },
      { multiplier: 0.5 },
      { jitter: 1.5 },
      { jitter: -0.1 },
    ];
    for (const options of cases) {
      let caught: unknown;
      try {
        backoffDelay(1, options);
      } catch (error) {
        caught = error;
      }
      expect(isTesseraError(caught, 'INVALID_ARGUMENT')).toBe(true);
      expect((caught as { field?: string }).field).toMatch(/^backoff\./);
    }
  });
});

describe('Backoff', () => {
  it('counts its attempts and starts again after reset', () => {
    const backoff = new Backoff({ initialMs: 200, maxMs: 800, jitter: 0 });
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([
      200, 400, 800, 800,
    ]);
    expect(backoff.attempt).toBe(4);
    backoff.reset();
    expect(backoff.attempt).toBe(0);
    expect(backoff.next()).toBe(200);
  });

  it('draws jitter from the injected random source', () => {
    const draws = [0, 1 - Number.EPSILON];
    const backoff = new Backoff({ initialMs: 400, jitter: 0.5, random: () => draws.shift() ?? 0 });
    expect(backoff.next()).toBe(200);
    expect(backoff.next()).toBe(800);
  });
});

describe('ReconnectTimer', () => {
  it('reconnects after the backoff delay, on the injected timers', () => {
    const timers = new ManualTimers();
    const timer = new ReconnectTimer({ initialMs: 100, jitter: 0, timers });
    let connects = 0;
    expect(timer.schedule(() => connects++)).toBe(100);
    timers.advance(99);
    expect(connects).toBe(0);
    timers.advance(1);
    expect(connects).toBe(1);
    expect(timer.pending).toBe(false);
  });

  it('keeps one reconnection pending when a stream reports both error and end', () => {
    const timers = new ManualTimers();
    const timer = new ReconnectTimer({ initialMs: 100, jitter: 0, timers });
    let connects = 0;
    expect(timer.schedule(() => connects++)).toBe(100);
    expect(timer.schedule(() => connects++)).toBeUndefined();
    expect(timers.scheduled).toBe(1);
    timers.advance(100);
    expect(connects).toBe(1);
    // The second failure waits twice as long; it was not counted while one was pending.
    expect(timer.schedule(() => connects++)).toBe(200);
  });

  it('starts from the initial delay again after a success', () => {
    const timers = new ManualTimers();
    const timer = new ReconnectTimer({ initialMs: 100, maxMs: 1000, jitter: 0, timers });
    const noop = () => {};
    for (const expected of [100, 200, 400, 800, 1000]) {
      expect(timer.schedule(noop)).toBe(expected);
      timers.advance(expected);
    }
    expect(timer.attempt).toBe(5);
    timer.succeeded();
    expect(timer.schedule(noop)).toBe(100);
  });

  it('runs an immediate reconnection at once and still counts it', () => {
    const timers = new ManualTimers();
    const timer = new ReconnectTimer({ initialMs: 100, jitter: 0, timers });
    let connects = 0;
    expect(timer.schedule(() => connects++, { immediate: true })).toBe(0);
    timers.advance(0);
    expect(connects).toBe(1);
    expect(timer.schedule(() => connects++)).toBe(200);
  });

  it('cancels a pending reconnection on stop and refuses later ones', () => {
    const timers = new ManualTimers();
    const timer = new ReconnectTimer({ initialMs: 100, timers });
    let connects = 0;
    timer.schedule(() => connects++);
    timer.stop();
    expect(timers.scheduled).toBe(0);
    expect(timer.schedule(() => connects++)).toBeUndefined();
    timers.advance(10_000);
    expect(connects).toBe(0);
  });

  it('works on the real timers by default', async () => {
    const timer = new ReconnectTimer({ initialMs: 1, maxMs: 1 });
    await new Promise<void>((resolve) => timer.schedule(resolve));
    expect(timer.pending).toBe(false);
  });
});
