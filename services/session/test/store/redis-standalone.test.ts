import { randomBytes } from 'node:crypto';
import { ManualClock } from '@tessera/clock';
import { type RedisServer, startRedisServer } from '@tessera/testing';
import { afterAll, beforeAll, describe } from 'vitest';
import { createRedisRefreshTokenStore } from '../../src/store/index.js';
import { inspectStandalone } from './redis-inspector.js';
import { refreshTokenStoreConformance } from './refresh-token-store-conformance.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('Redis refresh-token store, standalone', () => {
  refreshTokenStoreConformance({
    redis: true,
    open: async (settings = {}) => {
      const clock = new ManualClock();
      const store = await createRedisRefreshTokenStore({
        redis: server.url,
        pepper: randomBytes(32),
        clock,
        ...settings,
      });
      const redis = await inspectStandalone(server.url);
      return {
        store,
        clock,
        redis,
        close: async () => {
          await store.close();
          await redis.close();
        },
      };
    },
  });
});
