/** Options of {@link reconnectDelay}. */
export interface BackoffOptions {
  /** Delay before the first retry, before jitter. */
  readonly baseMs: number;
  /** Largest delay, before jitter. */
  readonly capMs: number;
}

/**
 * The delay before reconnect attempt `attempt` (0 for the first): exponential from `baseMs`,
 * capped at `capMs`, with "equal jitter" (half fixed, half random) so a fleet of clients that
 * lost the same server does not come back in lockstep, yet never retries in a tight loop.
 * `random` is injectable for tests.
 */
export function reconnectDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}
