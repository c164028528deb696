import { status } from '@grpc/grpc-js';
import { TesseraClientError } from './client-error.js';

/** When and how often an idempotent call that failed with UNAVAILABLE is tried again. */
export interface RetryOptions {
  /** Attempts in all, the first included; 1 turns retries off. Default 3. */
  readonly maxAttempts?: number | undefined;
  /** Upper bound of the first pause; it doubles per attempt up to `maxBackoffMs`. Default 50. */
  readonly initialBackoffMs?: number | undefined;
  /** Default 1,000. */
  readonly maxBackoffMs?: number | undefined;
}

/** The retry settings in force, every field set. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

/** Fills the defaults and refuses settings that make no sense. */
export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy = {
    maxAttempts: options.maxAttempts ?? 3,
    initialBackoffMs: options.initialBackoffMs ?? 50,
    maxBackoffMs: options.maxBackoffMs ?? 1_000,
  };
  for (const [key, value] of Object.entries(policy)) {
    if (!Number.isInteger(value) || value < (key === 'maxAttempts' ? 1 : 0)) {
      throw new RangeError(
        `retry.${key} must be an integer ≥ ${key === 'maxAttempts' ? 1 : 0}, got ${value}`,
      );
    }
  }
  return policy;
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `attempt` until it succeeds, fails with anything but UNAVAILABLE, runs out of attempts,
 * or the next pause would end past the deadline. Pauses are "full jitter" (a random time up to
 * the exponential bound), so many clients that lost one server do not come back in step.
 * Only UNAVAILABLE is retried: it is the status of a call that did not reach a working server.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      const retriable =
        error instanceof TesseraClientError && error.grpcCode === status.UNAVAILABLE;
      if (!retriable || n >= policy.maxAttempts || signal?.aborted) throw error;
      const bound = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (n - 1));
      const wait = Math.floor(Math.random() * bound);
      if (Date.now() + wait >= deadline) throw error;
      await pause(wait, signal);
    }
  }
}
