import { type RedisServer, startRedisServer } from '@tessera/testing';
import { afterAll, beforeAll } from 'vitest';
import { redisStores } from '../support/stack.js';
import { describeSessionFlows } from './session-flows.suite.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

describeSessionFlows('Redis store', () => ({ stores: (clock) => redisStores(clock, redis.url) }));
