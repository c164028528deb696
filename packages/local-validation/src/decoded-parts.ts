import type { LRUCache } from 'lru-cache';
import { lruOf } from './token-cache.js';

/** A compact JWS's header and payload, parsed but not verified. */
export interface DecodedParts {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** Parses a compact JWS's header and payload; undefined if they are not JSON objects. */
export function decodeParts(token: string): DecodedParts | undefined {
  try {
    const [header, payload] = token.split('.', 2);
    const h: unknown = JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8'));
    const p: unknown = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'));
    if (typeof h !== 'object' || h === null || typeof p !== 'object' || p === null)
      return undefined;
    return { header: h as Record<string, unknown>, payload: p as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * The decoded parts of the tokens validated most recently, by their token cache key (the
 * digest of the token, never the token itself). A repeat token is the common case (a client
 * sends the same access token for minutes), and decoding it again is most of the work and
 * nearly all of the garbage of a cache hit. Parts are a pure function of the token's bytes, so
 * an entry can never go stale: expiry and revocation are still checked on every hit by the
 * caller, from the verified-token cache's entry. Entries are deep-frozen, since every hit hands
 * out the same objects. Small on purpose (a few hundred entries of a KiB or so), least recently
 * used evicted first.
 */
export class DecodedPartsCache {
  // lru-cache, as TokenCache: a hit reorders indexes, it does not re-insert into a Map.
  readonly #entries: LRUCache<string, DecodedParts> | undefined;

  constructor(capacity: number) {
    this.#entries = lruOf(capacity);
  }

  /** The parts of `token`, from the cache when `key` was decoded recently. */
  decode(key: string, token: string): DecodedParts | undefined {
    const known = this.#entries?.get(key);
    if (known !== undefined) return known;
    const parts = decodeParts(token);
    if (parts !== undefined) this.#entries?.set(key, deepFreeze(parts));
    return parts;
  }

  get size(): number {
    return this.#entries?.size ?? 0;
  }

  clear(): void {
    this.#entries?.clear();
  }
}
