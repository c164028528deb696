import { describe, expect, it } from 'vitest';
import { maskedUrl } from '../src/commands/masked-url.js';

describe('security finding 12 — tessera start prints REDIS_URL without its password', () => {
  it.each([
    ['redis://:s3cret@cache.internal:6379/0', 'redis://:***@cache.internal:6379/0'],
    ['rediss://app:p%40ss@cache.internal:6380', 'rediss://app:***@cache.internal:6380'],
    ['redis://cache.internal:6379', 'redis://cache.internal:6379'],
    ['redis://user@cache.internal', 'redis://user@cache.internal'],
    ['redis://cache.internal/0?password=s3cret&db=1', 'redis://cache.internal/0?password=***&db=1'],
  ])('finding 12: masks the password of %s', (url, shown) => {
    expect(maskedUrl(url)).toBe(shown);
  });

  it('finding 12: shows nothing of text that is no URL', () => {
    const shown = maskedUrl('cache.internal:6379 password=s3cret');
    expect(shown).not.toContain('s3cret');
    expect(shown).not.toContain('cache.internal');
  });
});
