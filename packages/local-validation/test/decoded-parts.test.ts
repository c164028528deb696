import { describe, expect, it } from 'vitest';
import { DecodedPartsCache, decodeParts } from '../src/decoded-parts.js';
import { tokenCacheKey } from '../src/token-cache.js';

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const tokenOf = (payload: Record<string, unknown>) =>
  `${segment({ alg: 'ES256', kid: 'k1' })}.${segment(payload)}.c2lnbmF0dXJl`;

describe('decoded parts of recent tokens', () => {
  it('decodes a token once and hands out the same frozen parts on a repeat', () => {
    const cache = new DecodedPartsCache(4);
    const token = tokenOf({ sub: 'u1', roles: ['admin'], nested: { a: 1 } });
    const key = tokenCacheKey(token, undefined);
    const first = cache.decode(key, token);
    expect(first).toEqual(decodeParts(token));
    expect(cache.decode(key, token)).toBe(first);
    // Shared between hits, so nobody may change them.
    expect(Object.isFrozen(first?.payload)).toBe(true);
    expect(Object.isFrozen(first?.payload.roles)).toBe(true);
    expect(Object.isFrozen(first?.payload.nested)).toBe(true);
    const roles = first?.payload.roles as string[] | undefined;
    expect(roles).toEqual(['admin']);
    expect(() => roles?.push('root')).toThrow(TypeError);
  });

  it('keeps at most its capacity, the least recently used going first', () => {
    const cache = new DecodedPartsCache(2);
    const tokens = ['a', 'b', 'c'].map((sub) => tokenOf({ sub }));
    const [a, b, c] = tokens.map((token) => [tokenCacheKey(token, undefined), token] as const);
    if (!a || !b || !c) throw new Error('three tokens');
    const partsOfA = cache.decode(...a);
    cache.decode(...b);
    cache.decode(...a); // a is now the most recent
    cache.decode(...c); // evicts b
    expect(cache.size).toBe(2);
    expect(cache.decode(...a)).toBe(partsOfA);
    const again = cache.decode(...b);
    expect(again?.payload.sub).toBe('b');
  });

  it('keeps nothing that is not a token, and nothing at all with no capacity', () => {
    const cache = new DecodedPartsCache(4);
    for (const junk of ['', 'a.b.c', `${segment('text')}.${segment(1)}.x`])
      expect(cache.decode(tokenCacheKey(junk, undefined), junk)).toBeUndefined();
    expect(cache.size).toBe(0);
    const none = new DecodedPartsCache(0);
    const token = tokenOf({ sub: 'u' });
    expect(none.decode(tokenCacheKey(token, undefined), token)?.payload.sub).toBe('u');
    expect(none.size).toBe(0);
  });
});
