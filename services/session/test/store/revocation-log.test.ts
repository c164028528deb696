import { randomUUID } from 'node:crypto';
import { ManualClock } from '@tessera/clock';
import { TesseraError } from '@tessera/errors';
import {
  type RedisCluster,
  type RedisServer,
  startRedisCluster,
  startRedisServer,
} from '@tessera/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  closeRedisClient,
  createRedisClient,
  createRedisRevocationLog,
  REVOCATION_LOG_SCRIPTS,
  type RedisClient,
  type RedisConnectionOptions,
  RedisRevocationLog,
  waitUntilReady,
} from '../../src/store/index.js';
import { MemoryRevocationLog } from '../../src/store/memory/memory-revocation-log.js';
import { inspectCluster, inspectStandalone, type RedisInspector } from './redis-inspector.js';
import { revocation, revocationLogConformance } from './revocation-log-conformance.js';

let server: RedisServer;
let cluster: RedisCluster;
beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedisServer(), startRedisCluster()]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), cluster?.stop()]);
});

/** Blocking reads in progress over every master. */
async function blockedClients(redis: RedisInspector): Promise<number> {
  let total = 0;
  for (const node of redis.masters()) {
    const info = await node.info('clients');
    total += Number(/blocked_clients:(\d+)/.exec(info)?.[1] ?? 0);
  }
  return total;
}

/** Asserts that `call` rejects with a TesseraError UNAVAILABLE. */
async function expectUnavailable(call: Promise<unknown>): Promise<void> {
  const error = await call.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(TesseraError);
  expect(error).toMatchObject({ code: 'UNAVAILABLE' });
}

/**
 * One command client per suite, shared by every log the suite opens (each under a fresh
 * name, so each test starts from an empty log), as the service shares one client.
 */
function redisSuite(
  connection: () => RedisConnectionOptions,
  inspect: () => Promise<RedisInspector>,
): { client: () => RedisClient; redis: () => RedisInspector } {
  let client: RedisClient;
  let redis: RedisInspector;
  beforeAll(async () => {
    client = createRedisClient(connection(), { scripts: REVOCATION_LOG_SCRIPTS });
    await waitUntilReady(client, 10_000);
    redis = await inspect();
  });
  afterAll(async () => {
    if (client) await closeRedisClient(client);
    await redis?.close();
  });
  revocationLogConformance({
    open: async ({ capacity }) => {
      const clock = new ManualClock();
      const log = new RedisRevocationLog(client, {
        clock,
        name: `revocations-${randomUUID()}`,
        ...(capacity === undefined ? {} : { capacity }),
      });
      return { log, clock, blockedReads: () => blockedClients(redis), close: () => log.close() };
    },
  });
  return { client: () => client, redis: () => redis };
}

describe('memory revocation log', () => {
  revocationLogConformance({
    open: async ({ capacity }) => {
      const clock = new ManualClock();
      const log = new MemoryRevocationLog({
        clock,
        ...(capacity === undefined ? {} : { capacity }),
      });
      return { log, clock, close: async () => {} };
    },
  });
});

describe('Redis revocation log, standalone', () => {
  redisSuite(
    () => server.url,
    () => inspectStandalone(server.url),
  );

  it('a wait with an already aborted signal returns [] at once', async () => {
    const clock = new ManualClock();
    const log = await createRedisRevocationLog({
      redis: server.url,
      clock,
      name: `aborted-${randomUUID()}`,
    });
    try {
      const aborted = new AbortController();
      aborted.abort();
      expect(await log.waitAfter(0n, 60_000, aborted.signal)).toEqual([]);
    } finally {
      await log.close();
    }
  });
});

describe('Redis revocation log, 3-master Cluster (invariant 4: no CROSSSLOT anywhere in the suite)', () => {
  const suite = redisSuite(
    () => ({ kind: 'cluster', nodes: cluster.nodes }),
    () => inspectCluster(cluster.nodes),
  );

  it('keeps the default log under {revocations}: its keys, one slot', async () => {
    const clock = new ManualClock();
    const log = new RedisRevocationLog(suite.client(), { clock });
    try {
      await log.append(revocation(1, clock.now()));
      const redis = suite.redis();
      const keys = (await redis.keys()).filter((key) => key.startsWith('{revocations}'));
      expect(keys.sort()).toEqual([
        '{revocations}:epoch',
        '{revocations}:live',
        '{revocations}:live:tenant-1',
        '{revocations}:seq',
        '{revocations}:stream',
      ]);
      const slots = await Promise.all(keys.map((key) => redis.keyslot?.(key)));
      expect(new Set(slots).size).toBe(1);
    } finally {
      await log.close();
    }
  });

  it('finding 2: keeps a user’s count in the same slot, expiring with their last entry', async () => {
    const clock = new ManualClock();
    const name = `bound-${randomUUID()}`;
    const log = new RedisRevocationLog(suite.client(), { clock, name });
    try {
      const now = clock.now();
      const userWide = {
        ...revocation(0, now),
        sessionId: '',
        userId: 'user-x',
        applicationId: '',
      };
      for (let n = 1; n <= 2; n++) {
        await log.appendBounded(
          { ...revocation(n, now), userId: '', applicationId: '', expiresAt: now + 60_000 },
          { maxLivePerTenant: 10, perUser: { userId: 'user-x', maxLive: 1, userWide } },
        );
      }
      const redis = suite.redis();
      const keys = (await redis.keys()).filter((key) => key.startsWith(`{${name}}`));
      const user = keys.filter((key) => /:(user|wide):/.test(key)).sort();
      expect(user).toEqual([
        `{${name}}:user:8:tenant-1:user-x`,
        `{${name}}:wide:8:tenant-1:user-x`,
      ]);
      const slots = await Promise.all(keys.map((key) => redis.keyslot?.(key)));
      expect(new Set(slots).size).toBe(1);
      // They expire with the user's last entry (the user-wide one, an hour), by the log's clock.
      for (const key of user) {
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(3_000_000);
        expect(ttl).toBeLessThanOrEqual(userWide.expiresAt - now);
      }
    } finally {
      await log.close();
    }
  });
});

describe('Redis revocation log when Redis fails (invariant 5: fail closed and fast)', () => {
  let failing: RedisServer;
  beforeAll(async () => {
    failing = await startRedisServer({ appendOnly: true });
  });
  afterAll(async () => {
    await failing?.stop();
  });

  const never = () => new AbortController().signal;

  it('Redis killed: every call is UNAVAILABLE, none hangs; the log recovers by itself', async () => {
    const clock = new ManualClock();
    const log = await createRedisRevocationLog({ redis: failing.url, clock });
    try {
      expect(await log.append(revocation(1, clock.now()))).toBe(1n);
      // A completed wait leaves a pooled blocking connection behind, which the outage hits.
      expect(await log.waitAfter(0n, 10, never())).toHaveLength(1);

      await failing.kill('SIGKILL');
      await expectUnavailable(log.append(revocation(2, clock.now())));
      await expectUnavailable(log.snapshot());
      await expectUnavailable(log.readAfter(0n, 10));
      await expectUnavailable(log.latestSequence());
      await expectUnavailable(log.waitAfter(1n, 60_000, never()));
      await expectUnavailable(log.waitAfter(1n, 60_000, never()));

      await failing.restart();
      await vi.waitFor(async () => expect(await log.latestSequence()).toBe(1n), {
        timeout: 15_000,
      });
      expect(await log.append(revocation(2, clock.now()))).toBe(2n);
      await vi.waitFor(
        async () =>
          expect((await log.waitAfter(1n, 10, never()))?.map((e) => e.sequence)).toEqual([2n]),
        { timeout: 15_000 },
      );
    } finally {
      await log.close();
    }
  });

  it('Redis stalled (SIGSTOP): calls fail UNAVAILABLE at their deadline; then it recovers', async () => {
    const clock = new ManualClock();
    const log = await createRedisRevocationLog({
      redis: failing.url,
      clock,
      name: `stalled-${randomUUID()}`,
    });
    try {
      await log.append(revocation(1, clock.now()));
      expect(await log.waitAfter(0n, 10, never())).toHaveLength(1);

      await failing.kill('SIGSTOP');
      try {
        await expectUnavailable(log.append(revocation(2, clock.now())));
        await expectUnavailable(log.snapshot());
        await expectUnavailable(log.waitAfter(1n, 50, never()));
      } finally {
        await failing.kill('SIGCONT');
      }
      await vi.waitFor(async () => expect(await log.latestSequence()).toBeGreaterThanOrEqual(1n), {
        timeout: 15_000,
      });
      const next = await log.append(revocation(3, clock.now()));
      const entries = await log.waitAfter(next - 1n, 10, never());
      expect(entries?.map((entry) => entry.sequence)).toEqual([next]);
    } finally {
      await log.close();
    }
  });

  it('close() ends a wait in progress', async () => {
    const clock = new ManualClock();
    const log = await createRedisRevocationLog({
      redis: failing.url,
      clock,
      name: `closing-${randomUUID()}`,
    });
    const waiting = log.waitAfter(0n, 60_000, never());
    await log.close();
    expect(await waiting).toEqual([]);
  });
});
