import { describe, expect, it } from 'vitest';
import {
  expirationBounds,
  expirationInstant,
  extendExpiration,
  isExpired,
  MINUTE_MS,
  withinGracePeriod,
} from '../../src/domain/expiration.js';
import type { ExpirationPolicy } from '../../src/store/session-store.js';
import { policy } from './fixtures.js';

const START = Date.UTC(2030, 0, 1);

describe('expiration policy math', () => {
  it('computes FusionAuth’s three policies', () => {
    const ttl = { timeToLiveMinutes: 60, maximumTimeToLiveMinutes: 90 };
    const use = START + 50 * MINUTE_MS;
    expect(expirationInstant(policy({ ...ttl, expiration: 'Fixed' }), START, use)).toBe(
      START + 60 * MINUTE_MS,
    );
    expect(expirationInstant(policy({ ...ttl, expiration: 'SlidingWindow' }), START, use)).toBe(
      use + 60 * MINUTE_MS,
    );
    expect(
      expirationInstant(
        policy({ ...ttl, expiration: 'SlidingWindowWithMaximumLifetime' }),
        START,
        use,
      ),
    ).toBe(START + 90 * MINUTE_MS);
    expect(
      expirationInstant(
        policy({ ...ttl, expiration: 'SlidingWindowWithMaximumLifetime' }),
        START,
        START + MINUTE_MS,
      ),
    ).toBe(START + 61 * MINUTE_MS);
  });

  it('is expired from the instant on, exactly', () => {
    expect(isExpired(1000, 999)).toBe(false);
    expect(isExpired(1000, 1000)).toBe(true);
    expect(isExpired(1000, 1001)).toBe(true);
  });

  it('extending by bounds equals the policy math, never moving backwards', () => {
    const policies: ExpirationPolicy[] = [
      'Fixed',
      'SlidingWindow',
      'SlidingWindowWithMaximumLifetime',
    ];
    for (const expiration of policies) {
      for (const [ttl, max] of [
        [1, 1],
        [60, 90],
        [90, 60],
        [1440, 43_200],
      ] as const) {
        const p = policy({ expiration, timeToLiveMinutes: ttl, maximumTimeToLiveMinutes: max });
        const bounds = expirationBounds(p, START);
        let current = expirationInstant(p, START, START);
        for (let step = 0; step < 50; step++) {
          const now = START + step * 7 * MINUTE_MS + step;
          const expected = Math.max(current, expirationInstant(p, START, now));
          current = extendExpiration(bounds, current, now);
          expect(current, `${expiration} ${ttl}/${max} step ${step}`).toBe(expected);
        }
      }
    }
  });

  it('the grace window is [rotation, rotation + grace) and empty for grace 0', () => {
    expect(withinGracePeriod(1000, 10, 1000)).toBe(true);
    expect(withinGracePeriod(1000, 10, 10_999)).toBe(true);
    expect(withinGracePeriod(1000, 10, 11_000)).toBe(false);
    expect(withinGracePeriod(1000, 0, 1000)).toBe(false);
  });
});
