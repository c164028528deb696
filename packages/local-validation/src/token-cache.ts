import { hash } from 'node:crypto';
import type { VerificationProfile } from '@tessera/jwt-core';
import { LRUCache } from 'lru-cache';

/**
 * What the cache keeps of a verified token: only what a hit needs besides the token itself,
 * which the caller presents again. The claims are decoded from the presented token on a hit
 * (the same bytes that were verified, since the key is their digest), so an entry is ~150
 * bytes instead of the ~1.6 KB of a token string plus its parsed claims and header.
 */
export interface CachedVerification {
  /** The token's `exp` (seconds), for the expiry re-check on every hit. */
  readonly exp: number;
  readonly kid: string;
  /** The profile the token was verified under (its tenant, clock tolerance). */
  readonly profile: VerificationProfile;
}

/**
 * The cache key of a token asked about for a tenant (or none): a SHA-256 digest of the whole
 * token, so a key is 43 characters whatever the token's length, and no token is held in memory
 * after its request. A digest collision would be needed to hit another token's entry.
 */
export function tokenCacheKey(token: string, tenantId: string | undefined): string {
  const digest = hash('sha256', token, 'base64url');
  return tenantId ? `${tenantId}\u0000${digest}` : digest;
}

/**
 * An LRU of `capacity` entries, or none at 0. lru-cache reserves its index arrays for the whole
 * capacity up front (~30 bytes per entry before any is stored), so a capacity is a number of
 * entries to pay for, not a ceiling that costs nothing.
 */
export function lruOf<V extends object>(capacity: number): LRUCache<string, V> | undefined {
  if (!Number.isSafeInteger(capacity) || capacity < 0) {
    throw new RangeError(`a cache capacity is a whole number of entries ≥ 0, not ${capacity}`);
  }
  return capacity === 0 ? undefined : new LRUCache<string, V>({ max: capacity });
}

/**
 * Verified tokens by {@link tokenCacheKey}, least recently used evicted first. Only valid
 * results are kept; the caller re-checks expiry and revocation on every hit.
 *
 * Backed by `lru-cache`, whose recency order lives in preallocated index arrays: a hit moves
 * two indexes and allocates nothing. Keeping the order in a Map instead (delete and re-insert
 * on every hit) made each hit of a full cache leave a hole that V8 compacts by rebuilding the
 * whole table, which was the costliest line of a repeat-token validation.
 */
export class TokenCache {
  readonly #entries: LRUCache<string, CachedVerification> | undefined;

  constructor(capacity: number) {
    this.#entries = lruOf(capacity);
  }

  get(key: string): CachedVerification | undefined {
    return this.#entries?.get(key);
  }

  set(key: string, value: CachedVerification): void {
    this.#entries?.set(key, value);
  }

  /** How many verified tokens are held (never more than the capacity). */
  get size(): number {
    return this.#entries?.size ?? 0;
  }

  delete(key: string): void {
    this.#entries?.delete(key);
  }

  /** Forgets everything (a new key set may have withdrawn a key the entries relied on). */
  clear(): void {
    this.#entries?.clear();
  }
}
