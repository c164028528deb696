import { TRANSPORT_KINDS } from '@tessera/grpc-runtime';
import { type RedisServer, startRedisServer } from '@tessera/testing';
import { afterAll, beforeAll } from 'vitest';
import { redisStores } from '../support/stack.js';
import { describeSessionFlows } from './session-flows.suite.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

// The issuer reaches the session service over each transport; the flows must not tell them apart.
for (const transport of TRANSPORT_KINDS) {
  describeSessionFlows(`Redis store, ${transport} transport`, () => ({
    stores: (clock) => redisStores(clock, redis.url),
    transport,
  }));
}
