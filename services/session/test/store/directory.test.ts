import { randomUUID } from 'node:crypto';
import { ManualClock } from '@tessera/clock';
import {
  type RedisCluster,
  type RedisServer,
  startRedisCluster,
  startRedisServer,
} from '@tessera/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisDirectory, type RedisDirectory } from '../../src/store/index.js';
import { MemoryDirectory } from '../../src/store/memory/memory-directory.js';
import { directoryConformance, registrationInput, userInput } from './directory-conformance.js';
import { inspectCluster, type RedisInspector } from './redis-inspector.js';

let server: RedisServer;
let cluster: RedisCluster;
beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedisServer(), startRedisCluster()]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), cluster?.stop()]);
});

describe('memory directory', () => {
  directoryConformance({
    open: async () => {
      const clock = new ManualClock();
      return { directory: new MemoryDirectory({ clock }), clock, close: async () => {} };
    },
  });
});

describe('Redis directory, standalone', () => {
  directoryConformance({
    open: async () => {
      const clock = new ManualClock();
      const directory = await createRedisDirectory({ redis: server.url, clock });
      return { directory, clock, close: () => directory.close() };
    },
  });
});

describe('Redis directory, 3-master Cluster (invariant 4: no CROSSSLOT anywhere in the suite)', () => {
  const clock = new ManualClock();
  let directory: RedisDirectory;
  let redis: RedisInspector;
  beforeAll(async () => {
    directory = await createRedisDirectory({
      redis: { kind: 'cluster', nodes: cluster.nodes },
      clock,
    });
    redis = await inspectCluster(cluster.nodes);
  });
  afterAll(async () => {
    await directory?.close();
    await redis?.close();
  });

  directoryConformance({
    open: async () => ({ directory, clock, close: async () => {} }),
  });

  it("keeps every key of one tenant's directory in one slot; tenants take different slots", async () => {
    const tenants = Array.from({ length: 12 }, () => randomUUID());
    for (const tenantId of tenants) {
      for (let n = 0; n < 3; n++) {
        const user = await directory.upsertUser({
          ...userInput(tenantId),
          identityLink: { identityProviderId: 'idp', subject: `subject-${n}` },
        });
        await directory.upsertRegistration(tenantId, registrationInput(user.id, `app-${n}`));
      }
    }
    const keys = await redis.keys();
    const tenantSlots = new Set<number | undefined>();
    for (const tenantId of tenants) {
      const own = keys.filter((key) => key.startsWith(`{dir:${tenantId}}:`));
      // Three users, their registrations, the email, the username and the link index.
      expect(own).toHaveLength(9);
      const slots = new Set(await Promise.all(own.map((key) => redis.keyslot?.(key))));
      expect(slots.size).toBe(1);
      for (const slot of slots) tenantSlots.add(slot);
    }
    expect(tenantSlots.size).toBeGreaterThan(1);
  });
});
