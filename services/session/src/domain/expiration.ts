import type { RefreshPolicy } from '../store/session-store.js';

/**
 * Refresh-token expiration, FusionAuth's three policies as pure functions of the policy, the
 * session's start and its last use. Both stores decide acceptance with these numbers (the
 * Redis rotation script mirrors `extendExpiration` with the `ExpirationBounds` it keeps in
 * the family's hash), and a token is expired from its expiration instant on, exactly.
 */

/** One minute in milliseconds: FusionAuth expresses refresh lifetimes in minutes. */
export const MINUTE_MS = 60_000;

/**
 * The expiration instant (epoch ms) of a session under `policy`:
 * Fixed → start + ttl; SlidingWindow → lastUse + ttl;
 * SlidingWindowWithMaximumLifetime → min(lastUse + ttl, start + maximum).
 */
export function expirationInstant(
  policy: RefreshPolicy,
  startInstant: number,
  lastUseInstant: number,
): number {
  const ttl = policy.timeToLiveMinutes * MINUTE_MS;
  switch (policy.expiration) {
    case 'Fixed':
      return startInstant + ttl;
    case 'SlidingWindow':
      return lastUseInstant + ttl;
    case 'SlidingWindowWithMaximumLifetime':
      return Math.min(
        lastUseInstant + ttl,
        startInstant + policy.maximumTimeToLiveMinutes * MINUTE_MS,
      );
  }
}

/** True from the expiration instant on: `now >= expirationInstant`. */
export function isExpired(expiration: number, now: number): boolean {
  return now >= expiration;
}

/**
 * The policy reduced to two numbers a store can keep beside the family: how far a use moves
 * the expiration (0 for Fixed) and the instant it can never pass (undefined when unbounded).
 */
export interface ExpirationBounds {
  /** A use sets the expiration to `use + slidingMs`; 0 means uses do not move it. */
  readonly slidingMs: number;
  /** The latest possible expiration (epoch ms), or undefined for SlidingWindow. */
  readonly capInstant: number | undefined;
}

/** The bounds of `policy` for a session started at `startInstant`. */
export function expirationBounds(policy: RefreshPolicy, startInstant: number): ExpirationBounds {
  const ttl = policy.timeToLiveMinutes * MINUTE_MS;
  switch (policy.expiration) {
    case 'Fixed':
      return { slidingMs: 0, capInstant: startInstant + ttl };
    case 'SlidingWindow':
      return { slidingMs: ttl, capInstant: undefined };
    case 'SlidingWindowWithMaximumLifetime':
      return {
        slidingMs: ttl,
        capInstant: startInstant + policy.maximumTimeToLiveMinutes * MINUTE_MS,
      };
  }
}

/**
 * The expiration after a successful use at `now`. Equal to `expirationInstant(policy, start,
 * now)` except that it never moves backwards: instances whose clocks differ by a few
 * milliseconds must not shorten a session another instance has just extended.
 */
export function extendExpiration(bounds: ExpirationBounds, current: number, now: number): number {
  if (bounds.slidingMs === 0) return current;
  const slid = now + bounds.slidingMs;
  const capped = bounds.capInstant === undefined ? slid : Math.min(slid, bounds.capInstant);
  return Math.max(current, capped);
}

/**
 * Whether a reuse of the immediate parent at `now` is inside the one-time-use grace period
 * that opened when the parent was rotated at `rotatedAt`. The window is [rotatedAt,
 * rotatedAt + grace), half-open like expiry, so a grace period of 0 allows no reuse at all.
 */
export function withinGracePeriod(rotatedAt: number, gracePeriodSeconds: number, now: number) {
  return gracePeriodSeconds > 0 && now - rotatedAt < gracePeriodSeconds * 1000;
}
