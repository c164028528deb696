import { Backoff, type BackoffOptions } from './backoff.js';

/**
 * The timer functions a {@link ReconnectTimer} uses; Node's globals by default. Injected so
 * that tests run a reconnect loop on a clock that moves only when told to.
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const nodeTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Options of a {@link ReconnectTimer}. */
export interface ReconnectTimerOptions extends BackoffOptions {
  readonly timers?: Timers;
}

/**
 * Schedules the reconnections of one loop: at most one pending at a time (a stream that
 * reports both `error` and `end` reconnects once), each after the next backoff delay;
 * `succeeded()` resets the backoff; `stop()` cancels what is pending and refuses the rest.
 */
export class ReconnectTimer {
  readonly #backoff: Backoff;
  readonly #timers: Timers;
  #handle: unknown;
  #pending = false;
  #stopped = false;

  constructor(options: ReconnectTimerOptions = {}) {
    this.#backoff = new Backoff(options);
    this.#timers = options.timers ?? nodeTimers;
  }

  /** Whether a reconnection is waiting to run. */
  get pending(): boolean {
    return this.#pending;
  }

  /** Retries since the last success. */
  get attempt(): number {
    return this.#backoff.attempt;
  }

  /**
   * Runs `reconnect` after the next backoff delay (or at once with `immediate`, which still
   * counts as an attempt). Returns the delay, or undefined when one is already pending or the
   * timer is stopped.
   */
  schedule(
    reconnect: () => void,
    options: { readonly immediate?: boolean } = {},
  ): number | undefined {
    if (this.#stopped || this.#pending) return undefined;
    const computed = this.#backoff.next();
    const delay = options.immediate ? 0 : computed;
    this.#pending = true;
    this.#handle = this.#timers.setTimeout(() => {
      this.#pending = false;
      this.#handle = undefined;
      if (!this.#stopped) reconnect();
    }, delay);
    return delay;
  }

  /** The connection works again: the next failure starts from the initial delay. */
  succeeded(): void {
    this.#backoff.reset();
  }

  /** Cancels a pending reconnection; later `schedule` calls do nothing. */
  stop(): void {
    this.#stopped = true;
    if (this.#pending) this.#timers.clearTimeout(this.#handle);
    this.#pending = false;
    this.#handle = undefined;
  }
}
