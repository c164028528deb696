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
  createRedisRefreshTokenStore,
  parseRedisUrl,
  toStoreError,
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
