import { invalidArgument } from '@tessera/errors';

/** How delays grow. Every field has a default suited to a stream that reconnects to a peer. */
export interface BackoffOptions {
  /** The delay before the first retry, before jitter. Default 200 ms. */
  readonly initialMs?: number;
  /** The cap on any delay, before jitter. Default 5000 ms. */
  readonly maxMs?: number;
  /** Each retry waits this many times longer than the last. Default 2. */
  readonly multiplier?: number;
  /**
   * The fraction of a delay left to chance, from 0 (none) to 1 (anywhere between zero and
   * the delay). Default 0.5: between half and all of it, so a fleet that lost the same peer
   * does not come back in lockstep, yet none retries at once.
   */
  readonly jitter?: number;
  /** A uniform random number in [0, 1). Default `Math.random`; tests fix it. */
  readonly random?: () => number;
}

/** The defaults of {@link BackoffOptions}. */
export const DEFAULT_BACKOFF = Object.freeze({
  initialMs: 200,
  maxMs: 5000,
  multiplier: 2,
  jitter: 0.5,
});

interface ResolvedBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly multiplier: number;
  readonly jitter: number;
  readonly random: () => number;
}

function resolve(options: BackoffOptions): ResolvedBackoff {
  const resolved = {
    initialMs: options.initialMs ?? DEFAULT_BACKOFF.initialMs,
    maxMs: options.maxMs ?? DEFAULT_BACKOFF.maxMs,
    multiplier: options.multiplier ?? DEFAULT_BACKOFF.multiplier,
    jitter: options.jitter ?? DEFAULT_BACKOFF.jitter,
    random: options.random ?? Math.random,
  };
  if (!(Number.isFinite(resolved.initialMs) && resolved.initialMs > 0)) {
    throw invalidArgument('backoff.initialMs', 'must be a positive number of milliseconds');
  }
  if (!(Number.isFinite(resolved.maxMs) && resolved.maxMs >= resolved.initialMs)) {
    throw invalidArgument('backoff.maxMs', 'must be a number of milliseconds ≥ initialMs');
  }
  if (!(Number.isFinite(resolved.multiplier) && resolved.multiplier >= 1)) {
    throw invalidArgument('backoff.multiplier', 'must be a number ≥ 1');
  }
  if (!(resolved.jitter >= 0 && resolved.jitter <= 1)) {
    throw invalidArgument('backoff.jitter', 'must be between 0 and 1');
  }
  return resolved;
}

function delayOf(attempt: number, options: ResolvedBackoff): number {
  // The exponent is bounded before Math.pow so that a long outage never overflows to Infinity.
  const steps = Math.min(Math.max(attempt - 1, 0), 64);
  const capped = Math.min(options.initialMs * options.multiplier ** steps, options.maxMs);
  const draw = Math.min(Math.max(options.random(), 0), 1);
  return Math.round(capped * (1 - options.jitter + options.jitter * draw));
}

/**
 * The delay before retry number `attempt` (1 for the first retry): `initialMs × multiplier^(attempt-1)`,
 * capped at `maxMs`, then jittered. Stateless, for callers that count attempts themselves
 * (ioredis' `retryStrategy` passes its own count and resets it on a successful connection).
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  return delayOf(attempt, resolve(options));
}

/**
 * A reconnect backoff that counts its own attempts: `next()` gives the delay before the next
 * retry and moves on; `reset()` after a success starts again from `initialMs`.
 */
export class Backoff {
  readonly #options: ResolvedBackoff;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.#options = resolve(options);
  }

  /** How many delays were handed out since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next retry, in milliseconds. */
  next(): number {
    this.#attempt += 1;
    return delayOf(this.#attempt, this.#options);
  }

  /** A success: the next delay is the initial one again. */
  reset(): void {
    this.#attempt = 0;
  }
}
