import { randomBytes } from 'node:crypto';
import { ManualClock } from '@tessera/clock';
import { isTesseraError } from '@tessera/errors';
import { type RedisCluster, startRedisCluster } from '@tessera/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRedisPolicy, createRedisRefreshTokenStore } from '../../src/store/index.js';
import { createInput, policy, presenter, principal, tokenOf } from './fixtures.js';
import { inspectCluster } from './redis-inspector.js';
import { refreshTokenStoreConformance } from './refresh-token-store-conformance.js';

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

const openStore = (clock: ManualClock, settings: { expiredRetentionMs?: number } = {}) =>
  createRedisRefreshTokenStore({
    redis: { kind: 'cluster', nodes: cluster.nodes },
    pepper: randomBytes(32),
    clock,
    ...settings,
  });

describe('Redis refresh-token store, 3-master Cluster (invariant 4: no CROSSSLOT anywhere in the suite)', () => {
  refreshTokenStoreConformance({
    redis: true,
    open: async (settings = {}) => {
      const clock = new ManualClock();
      const store = await openStore(clock, settings);
      const redis = await inspectCluster(cluster.nodes);
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

  describe('invariant 4: every script touches keys of one hash slot', () => {
    it('all keys of a family map to one slot (CLUSTER KEYSLOT), and families spread over every master', async () => {
      const clock = new ManualClock();
      const store = await openStore(clock);
      const redis = await inspectCluster(cluster.nodes);
      try {
        const ids: string[] = [];
        for (let i = 0; i < 30; i++) {
          const { token, record } = await store.create(
            createInput(principal(), policy({ gracePeriodSeconds: 5 })),
          );
          ids.push(record.id);
          // Two rotations: the ancestors set exists too.
          const next = tokenOf(
            await store.rotate({ token, presenter: presenter(2), requestId: 'a' }),
          );
          await store.rotate({ token: next, presenter: presenter(2), requestId: 'b' });
        }
        const keys = new Set(await redis.keys());
        // Which master holds which keys (KEYS on a test cluster of a few hundred keys).
        const byMaster = await Promise.all(
          redis.masters().map(async (master) => new Set(await master.keys('rt:{*'))),
        );
        const mastersWithKeys = new Set<number>();
        for (const id of ids) {
          const family = [`rt:{${id}}`, `rt:{${id}}:anc`];
          for (const key of family) expect(keys.has(key), key).toBe(true);
          const slots = await Promise.all(family.map((key) => redis.keyslot?.(key)));
          expect(new Set(slots).size).toBe(1);
          const holders = byMaster.flatMap((held, index) => (held.has(family[0]!) ? [index] : []));
          expect(holders).toHaveLength(1);
          for (const key of family) expect(byMaster[holders[0]!]?.has(key)).toBe(true);
          mastersWithKeys.add(holders[0]!);
        }
        expect(mastersWithKeys.size).toBe(3);
      } finally {
        await store.close();
        await redis.close();
      }
    });
  });

  describe('invariant 4: after the whole suite', () => {
    it('no master ever answered CROSSSLOT (INFO errorstats)', async () => {
      const redis = await inspectCluster(cluster.nodes);
      try {
        const stats = await Promise.all(redis.masters().map((master) => master.info('errorstats')));
        expect(stats).toHaveLength(3);
        for (const info of stats) expect(info).not.toMatch(/CROSSSLOT/i);
      } finally {
        await redis.close();
      }
    });
  });

  describe('invariant 6: the eviction policy of every master is checked', () => {
    it('refuses when one master may evict, and passes when all are noeviction', async () => {
      const store = await openStore(new ManualClock());
      const redis = await inspectCluster(cluster.nodes);
      const warnings: string[] = [];
      const log = {
        warn: (_fields: Record<string, unknown>, message: string) => warnings.push(message),
      };
      try {
        expect(await checkRedisPolicy(store.client, { mode: 'refuse', log })).toMatchObject({
          safe: true,
        });
        expect((await checkRedisPolicy(store.client, { mode: 'refuse', log })).nodes).toHaveLength(
          3,
        );
        const [, second] = redis.masters();
        await second!.config('SET', 'maxmemory-policy', 'allkeys-lru');
        const error = await checkRedisPolicy(store.client, { mode: 'refuse', log }).catch(
          (e: unknown) => e,
        );
        expect(isTesseraError(error, 'UNAVAILABLE')).toBe(true);
        expect(error).toMatchObject({ metadata: { maxmemoryPolicy: 'allkeys-lru' } });
        expect(warnings).toEqual([]);
        await second!.config('SET', 'maxmemory-policy', 'noeviction');
      } finally {
        await store.close();
        await redis.close();
      }
    });
  });
});
