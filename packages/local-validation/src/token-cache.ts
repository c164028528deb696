import type { VerificationProfile, VerifyResult } from '@tessera/jwt-core';

/** A verified token and the profile it was verified under. */
export interface CachedVerification {
  readonly result: Extract<VerifyResult, { valid: true }>;
  readonly profile: VerificationProfile;
}

type Valid = CachedVerification;

/**
 * Verified tokens by their whole value, least recently used evicted first (a Map keeps
 * insertion order; a hit re-inserts). Only valid results are kept; the caller re-checks
 * expiry and revocation on every hit.
 */
export class TokenCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, Valid>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(key: string): Valid | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    }
    return entry;
  }

  set(key: string, value: Valid): void {
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
