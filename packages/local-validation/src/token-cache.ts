import { hash } from 'node:crypto';
import type { VerificationProfile } from '@tessera/jwt-core';

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
 * Verified tokens by {@link tokenCacheKey}, least recently used evicted first (a Map keeps
 * insertion order; a hit re-inserts). Only valid results are kept; the caller re-checks
 * expiry and revocation on every hit.
 */
export class TokenCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, CachedVerification>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(key: string): CachedVerification | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    }
    return entry;
  }

  set(key: string, value: CachedVerification): void {
    if (this.#capacity <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  /** How many verified tokens are held (never more than the capacity). */
  get size(): number {
    return this.#entries.size;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Forgets everything (a new key set may have withdrawn a key the entries relied on). */
  clear(): void {
    this.#entries.clear();
  }
}
