import { randomBytes } from 'node:crypto';
import { systemClock } from '@tessera/clock';
import { type RedisServer, startRedisServer } from '@tessera/testing';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisSessionStores } from '../../src/stores.js';
import { createInput, principal } from './fixtures.js';

describe('tessera_redis_command_seconds', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('times every command, scripts by their name, by outcome', async () => {
    const registry = new Registry();
    const stores = await redisSessionStores({
      url: redis.url,
      pepper: randomBytes(32),
      clock: systemClock,
      registry,
    });
    try {
      await stores.tokens.create(createInput(principal()));
    } finally {
      await stores.close();
    }
    const text = await registry.getSingleMetricAsString('tessera_redis_command_seconds');
    expect(text).toMatch(
      /tessera_redis_command_seconds_count\{command="refreshTokenCreate",outcome="ok"\} 1\n/,
    );
    // The ready check and the eviction-policy probe are commands too.
    expect(text).toMatch(/tessera_redis_command_seconds_count\{command="info",outcome="ok"\} \d+/);
    expect(text).not.toContain('command="evalsha"');
  });
});
