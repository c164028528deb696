import { once } from 'node:events';
import { type ClientReadableStream, type ServiceError, status as Status } from '@grpc/grpc-js';
import type { issuerV1 } from '@tessera/contracts';
import { TesseraError } from '@tessera/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { readErrorDetails } from '../src/index.js';
import { deferred } from './support/deferred.js';
import { type IssuerHarness, startIssuer } from './support/issuer-harness.js';

function keySet(revision: number): issuerV1.WatchKeysResponse {
  return { revision: BigInt(revision), keys: [], profiles: [] };
}

/** Reads `count` messages, then leaves the stream open. */
async function take<T>(stream: ClientReadableStream<T>, count: number): Promise<T[]> {
  const messages: T[] = [];
  if (count === 0) return messages;
  return new Promise<T[]>((resolve, reject) => {
    const onData = (message: T) => {
      messages.push(message);
      if (messages.length === count) {
        stream.off('data', onData);
        stream.pause();
        resolve(messages);
      }
    };
    stream.on('data', onData);
    stream.once('error', reject);
  });
}

/** Collects every message and the final status or error of a stream. */
function drain<T>(
  stream: ClientReadableStream<T>,
): Promise<{ messages: T[]; error?: ServiceError }> {
  const messages: T[] = [];
  stream.on('data', (message: T) => messages.push(message));
  return new Promise((resolve) => {
    stream.once('error', (error: ServiceError) => resolve({ messages, error }));
    stream.once('end', () => resolve({ messages }));
  });
}

describe('server-stream handlers', () => {
  let harness: IssuerHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('writes every message and ends OK when the iterable ends', async () => {
    harness = await startIssuer({
      watchKeys: async function* () {
        for (let revision = 1; revision <= 3; revision++) yield keySet(revision);
      },
    });
    const { messages, error } = await drain(harness.client.watchKeys({}));
    expect(error).toBeUndefined();
    expect(messages.map((message) => message.revision)).toEqual([1n, 2n, 3n]);
  });

  it('stops an endless producer when the client cancels: its finally runs', async () => {
    const closed = deferred();
    harness = await startIssuer({
      watchKeys: async function* () {
        try {
          for (let revision = 1; ; revision++) yield keySet(revision);
        } finally {
          closed.resolve();
        }
      },
    });
    const stream = harness.client.watchKeys({});
    const cancelled = new Promise<ServiceError>((resolve) => stream.once('error', resolve));
    const first = await take(stream, 3);
    expect(first.map((message) => message.revision)).toEqual([1n, 2n, 3n]);
    stream.cancel();

    expect((await cancelled).code).toBe(Status.CANCELLED);
    await closed.promise;
  });

  it('stops a producer waiting for changes when the client cancels', async () => {
    const closed = deferred();
    harness = await startIssuer({
      watchKeys: async function* (_request, ctx) {
        try {
          yield keySet(1);
          yield keySet(2);
          // Waits for a change that never comes; the signal releases it.
          await once(ctx.signal, 'abort');
        } finally {
          closed.resolve();
        }
      },
    });
    const stream = harness.client.watchKeys({});
    const cancelled = new Promise<ServiceError>((resolve) => stream.once('error', resolve));
    await take(stream, 2);
    stream.cancel();

    expect((await cancelled).code).toBe(Status.CANCELLED);
    await closed.promise;
  });

  it('ends the stream with the mapped status when the producer throws', async () => {
    harness = await startIssuer({
      watchKeys: async function* () {
        yield keySet(1);
        throw new TesseraError('KEY_NOT_FOUND', 'key set unavailable', { metadata: { kid: 'k1' } });
      },
    });
    const { messages, error } = await drain(harness.client.watchKeys({}));
    expect(messages).toHaveLength(1);
    expect(error?.code).toBe(Status.NOT_FOUND);
    expect(readErrorDetails(error)).toMatchObject({
      reason: 'KEY_NOT_FOUND',
      metadata: { kid: 'k1' },
    });
  });

  it('maps a handler that throws before yielding', async () => {
    harness = await startIssuer({
      watchKeys: () => {
        throw new TesseraError('PERMISSION_DENIED', 'not for you');
      },
    });
    const { messages, error } = await drain(harness.client.watchKeys({}));
    expect(messages).toEqual([]);
    expect(error?.code).toBe(Status.PERMISSION_DENIED);
  });
});
