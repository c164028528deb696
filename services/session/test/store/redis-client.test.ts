import { randomBytes } from 'node:crypto';
import { ManualClock } from '@tessera/clock';
import { isTesseraError, TesseraError } from '@tessera/errors';
import {
  type RedisSentinel,
  type RedisServer,
  startRedisSentinel,
  startRedisServer,
} from '@tessera/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeRedisClient,
  createRedisClient,
  createRedisRefreshTokenStore,
  parseRedisUrl,
  type RedisClient,
  toStoreError,
  waitUntilReady,
} from '../../src/store/index.js';
import { createInput, presenter, principal } from './fixtures.js';

describe('Redis connection options', () => {
  it('reads standalone, Sentinel and Cluster URLs', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380/2')).toEqual({
      kind: 'standalone',
      url: 'redis://127.0.0.1:6380/2',
    });
    expect(parseRedisUrl('rediss://user:pw@redis.example:6380')).toMatchObject({
      kind: 'standalone',
    });
    expect(parseRedisUrl('redis+sentinel://:s%40cret@s1:26379,s2:26380/main/3')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
      masterName: 'main',
      db: 3,
      password: 's@cret',
      tls: false,
    });
    expect(parseRedisUrl('redis+cluster://a:7000,b:7001')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
      tls: false,
    });
  });

  it('refuses anything else, naming the setting', () => {
    for (const url of [
      'http://x:1',
      'redis+sentinel://s1/main',
      'redis+cluster://a:70000',
      'localhost:6379',
    ]) {
      const error = (() => {
        try {
          parseRedisUrl(url);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(isTesseraError(error, 'INVALID_ARGUMENT'), url).toBe(true);
      expect(error).toMatchObject({ field: 'redis' });
    }
  });
});

describe('Redis error normalisation', () => {
  const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });

  it('anything that means "not now" is UNAVAILABLE, other error replies INTERNAL', () => {
    expect(toStoreError(new Error('Connection is closed.')).code).toBe('UNAVAILABLE');
    expect(toStoreError(new Error('Command timed out')).code).toBe('UNAVAILABLE');
    for (const message of [
      'LOADING Redis is loading',
      'READONLY replica',
      'CLUSTERDOWN',
      'MASTERDOWN x',
      'TRYAGAIN',
      'BUSY script',
      'OOM command not allowed',
    ]) {
      expect(toStoreError(reply(message)).code, message).toBe('UNAVAILABLE');
    }
    expect(toStoreError(reply('ERR Error running script')).code).toBe('INTERNAL');
    expect(toStoreError(reply('CROSSSLOT Keys in request')).code).toBe('INTERNAL');
    const own = new TesseraError('INVALID_ARGUMENT', 'x');
    expect(toStoreError(own)).toBe(own);
    expect(toStoreError('odd').cause).toBe('odd');
  });
});

describe('Redis Sentinel', () => {
  let master: RedisServer;
  let sentinel: RedisSentinel;
  beforeAll(async () => {
    master = await startRedisServer();
    sentinel = await startRedisSentinel(master.port);
  });
  afterAll(async () => {
    await sentinel?.stop();
    await master?.stop();
  });

  it('finds the master through a redis+sentinel:// URL and rotates there', async () => {
    const store = await createRedisRefreshTokenStore({
      redis: `redis+sentinel://127.0.0.1:${sentinel.port}/${sentinel.masterName}`,
      pepper: randomBytes(32),
      clock: new ManualClock(),
    });
    try {
      const { token } = await store.create(createInput(principal()));
      expect(await store.rotate({ token, presenter: presenter(2), requestId: 'r' })).toMatchObject({
        ok: true,
        rotated: true,
      });
    } finally {
      await store.close();
    }
  });
});

describe('Redis auto-pipelining', () => {
  // A script with a per-call reply, so a mixed-up batch would show.
  const scripts = { testEcho: { numberOfKeys: 1, lua: "return redis.call('INCR', KEYS[1])" } };
  type EchoClient = RedisClient & { testEcho(key: string): Promise<number> };
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const clientOf = async (autoPipelining?: boolean) => {
    const client = createRedisClient(`redis://127.0.0.1:${server.port}`, {
      scripts,
      ...(autoPipelining === undefined ? {} : { autoPipelining }),
    }) as EchoClient;
    await waitUntilReady(client, 5000);
    return client;
  };

  it('sends the commands of one event-loop turn as one batch, each with its own reply', async () => {
    const client = await clientOf();
    try {
      const replies = Array.from({ length: 50 }, (_, i) => client.testEcho(`pipelined:${i % 5}`));
      // Queued for one write rather than written one by one.
      expect(client.autoPipelineQueueSize).toBe(50);
      const values = await Promise.all(replies);
      // Each key was incremented 10 times, and each call got its own step of it.
      for (let key = 0; key < 5; key++)
        expect(values.filter((_, i) => i % 5 === key)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    } finally {
      await closeRedisClient(client);
    }
  });

  it('recovers a batch whose script the server forgot (NOSCRIPT after SCRIPT FLUSH)', async () => {
    const client = await clientOf();
    try {
      await client.testEcho('flushed');
      await client.script('FLUSH');
      const values = await Promise.all(
        Array.from({ length: 20 }, () => client.testEcho('flushed')),
      );
      expect([...values].sort((a, b) => a - b)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 2),
      );
    } finally {
      await closeRedisClient(client);
    }
  });

  it('can be turned off, so each command is written from its caller’s context', async () => {
    const client = await clientOf(false);
    try {
      const replies = Array.from({ length: 10 }, () => client.testEcho('unpipelined'));
      expect(client.autoPipelineQueueSize).toBe(0);
      expect(await Promise.all(replies)).toHaveLength(10);
    } finally {
      await closeRedisClient(client);
    }
  });
});
