/**
 * The store reads back its own family hashes with a plain shape check (no schema parser on
 * the rotation path); a hash it did not write that way must still fail closed: INTERNAL,
 * never a rotation, never a record made of guesses.
 */
import { randomBytes } from 'node:crypto';
import { ManualClock } from '@tessera/clock';
import { isTesseraError } from '@tessera/errors';
import { type RedisServer, startRedisServer } from '@tessera/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRedisRefreshTokenStore,
  type RedisRefreshTokenStore,
} from '../../src/store/index.js';
import { createInput, presenter, principal } from './fixtures.js';
import { inspectStandalone, type RedisInspector } from './redis-inspector.js';

let server: RedisServer;
let store: RedisRefreshTokenStore;
let redis: RedisInspector;

beforeAll(async () => {
  server = await startRedisServer();
  store = await createRedisRefreshTokenStore({
    redis: server.url,
    pepper: randomBytes(32),
    clock: new ManualClock(),
  });
  redis = await inspectStandalone(server.url);
});
afterAll(async () => {
  await store?.close();
  await redis?.close();
  await server?.stop();
});

/** The error `promise` rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('a family hash of the wrong shape', () => {
  it.each([
    ['an instant that is not an integer', 'exp', '12.5'],
    ['a cap that is text', 'cap', 'soon'],
    ['a grace period with a sign and no digits', 'grace', '-'],
  ])('with %s is INTERNAL on Get and never rotates', async (_label, field, value) => {
    const { record, token } = await store.create(createInput(principal()));
    const { id } = record;
    const [master] = redis.masters();
    await master?.hset(`rt:{${id}}`, field, value);
    const failure = await rejection(store.get(id));
    expect(isTesseraError(failure) && failure.code).toBe('INTERNAL');
    // The script reads some fields itself and may refuse first; either way, no successor.
    const rotated = await store
      .rotate({ token, presenter: presenter(2), requestId: '' })
      .then((outcome) => (outcome.ok ? 'rotated' : 'refused'))
      .catch((error: unknown) => (isTesseraError(error) ? error.code : 'thrown'));
    expect(['refused', 'INTERNAL']).toContain(rotated);
  });

  it('with a text field missing is INTERNAL, and a missing src still reads as a root', async () => {
    const root = await store.create(createInput(principal()));
    const [master] = redis.masters();
    await master?.hdel(`rt:{${root.record.id}}`, 'src');
    expect((await store.get(root.record.id))?.sourceId).toBe('');

    const broken = await store.create(createInput(principal()));
    await master?.hdel(`rt:{${broken.record.id}}`, 'uid');
    const failure = await rejection(store.get(broken.record.id));
    expect(isTesseraError(failure) && failure.code).toBe('INTERNAL');
  });
});
