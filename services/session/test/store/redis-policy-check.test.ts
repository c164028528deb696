import { randomBytes } from 'node:crypto';
import { ManualClock } from '@tessera/clock';
import { isTesseraError } from '@tessera/errors';
import { type RedisServer, startRedisServer } from '@tessera/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkRedisPolicy,
  createRedisRefreshTokenStore,
  type PolicyCheckLog,
} from '../../src/store/index.js';

let server: RedisServer;
let locked: RedisServer;
beforeAll(async () => {
  [server, locked] = await Promise.all([
    startRedisServer(),
    // Managed Redis services commonly disable CONFIG.
    startRedisServer({ extraArgs: ['--rename-command', 'CONFIG', ''] }),
  ]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), locked?.stop()]);
});

function capture(): PolicyCheckLog & {
  warnings: { fields: Record<string, unknown>; message: string }[];
} {
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  return { warnings, warn: (fields, message) => warnings.push({ fields, message }) };
}

const open = (url: string) =>
  createRedisRefreshTokenStore({ redis: url, pepper: randomBytes(32), clock: new ManualClock() });

describe('invariant 6: maxmemory-policy must be noeviction', () => {
  it('passes silently on noeviction', async () => {
    const store = await open(server.url);
    try {
      const log = capture();
      expect(await checkRedisPolicy(store.client, { mode: 'refuse', log })).toEqual({
        safe: true,
        nodes: [{ node: `127.0.0.1:${server.port}`, policy: 'noeviction' }],
      });
      expect(log.warnings).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('allkeys-lru: refused in refuse mode, a loud warning in warn mode', async () => {
    const store = await open(server.url);
    const admin = new Redis(server.url);
    try {
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const log = capture();
      const error = await checkRedisPolicy(store.client, { mode: 'refuse', log }).catch(
        (e: unknown) => e,
      );
      expect(isTesseraError(error, 'UNAVAILABLE')).toBe(true);
      expect(error).toMatchObject({ metadata: { maxmemoryPolicy: 'allkeys-lru' } });

      const report = await checkRedisPolicy(store.client, { mode: 'warn', log });
      expect(report.safe).toBe(false);
      expect(log.warnings).toHaveLength(1);
      expect(log.warnings[0]).toMatchObject({ fields: { maxmemoryPolicy: 'allkeys-lru' } });
      expect(log.warnings[0]?.message).toMatch(/EVICT/);
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      admin.disconnect();
      await store.close();
    }
  });

  it('a Redis that forbids CONFIG is reported as unchecked, in both modes', async () => {
    const store = await open(locked.url);
    try {
      for (const mode of ['refuse', 'warn'] as const) {
        const log = capture();
        expect(await checkRedisPolicy(store.client, { mode, log })).toMatchObject({
          safe: false,
          nodes: [{ policy: undefined }],
        });
        expect(log.warnings).toHaveLength(1);
        expect(log.warnings[0]?.message).toMatch(/could not check/);
      }
    } finally {
      await store.close();
    }
  });

  it('an unreachable Redis is UNAVAILABLE, not "unchecked"', async () => {
    const store = await open(server.url);
    try {
      store.client.disconnect();
      const error = await checkRedisPolicy(store.client, { mode: 'warn', log: capture() }).catch(
        (e: unknown) => e,
      );
      expect(isTesseraError(error, 'UNAVAILABLE')).toBe(true);
    } finally {
      await store.close();
    }
  });
});
