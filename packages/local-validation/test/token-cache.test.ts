import { describe, expect, it } from 'vitest';
import { type CachedVerification, TokenCache, tokenCacheKey } from '../src/token-cache.js';

const entry = (kid: string): CachedVerification => ({
  exp: 2_000_000_000,
  kid,
  profile: {
    tenantId: 't1',
    issuer: 'https://issuer.example',
    keyIds: [kid],
    clockToleranceSeconds: 0,
    audiences: [],
  },
});

describe('verified-token cache', () => {
  it('keys a token by tenant and digest, never by the token itself', () => {
    const key = tokenCacheKey('a.b.c', undefined);
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokenCacheKey('a.b.c', 't1')).toBe(`t1\u0000${key}`);
    expect(tokenCacheKey('a.b.d', undefined)).not.toBe(key);
  });

  it('evicts the least recently used entry, a hit counting as a use', () => {
    const cache = new TokenCache(2);
    cache.set('a', entry('ka'));
    cache.set('b', entry('kb'));
    expect(cache.get('a')?.kid).toBe('ka');
    cache.set('c', entry('kc'));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.kid).toBe('ka');
    expect(cache.get('c')?.kid).toBe('kc');
    expect(cache.size).toBe(2);
  });

  it('never holds more than its capacity however many tokens pass through', () => {
    const cache = new TokenCache(100);
    for (let i = 0; i < 10_000; i += 1) {
      cache.set(`k${i}`, entry(`kid${i}`));
      // Hits on an old entry between inserts keep it alive without growing the cache.
      expect(cache.get('k0')?.kid).toBe('kid0');
    }
    expect(cache.size).toBe(100);
    expect(cache.get('k9999')?.kid).toBe('kid9999');
    expect(cache.get('k9899')).toBeUndefined();
  });

  it('forgets one entry or all of them', () => {
    const cache = new TokenCache(4);
    cache.set('a', entry('ka'));
    cache.set('b', entry('kb'));
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(1);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('caches nothing at capacity 0', () => {
    const cache = new TokenCache(0);
    cache.set('a', entry('ka'));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('refuses a capacity that is not a whole number of entries', () => {
    for (const capacity of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new TokenCache(capacity)).toThrow(RangeError);
    }
  });
});
