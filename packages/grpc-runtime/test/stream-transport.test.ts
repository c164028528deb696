import { credentials, status as Status } from '@grpc/grpc-js';
import { issuerV1 } from '@tessera/contracts';
import { TesseraError } from '@tessera/errors';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Caller,
  createCaller,
  readErrorDetails,
  StreamTransport,
  type StreamTransportOptions,
} from '../src/index.js';
import { deferred } from './support/deferred.js';
import { type IssuerHarness, rejection, startIssuer } from './support/issuer-harness.js';

const KEY = 'stream-key';
const acceptKey = {
  authenticate: (metadata: { get(key: string): unknown[] }) => {
    if (metadata.get('authorization')[0] !== KEY) {
      throw new TesseraError('UNAUTHENTICATED', 'unknown key');
    }
  },
};

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function transportTo(
  target: string,
  options: Partial<StreamTransportOptions> = {},
): { transport: StreamTransport; issuer: Caller<typeof issuerV1.IssuerServiceService> } {
  const transport = new StreamTransport({
    target,
    credentials: credentials.createInsecure(),
    metadata: { authorization: KEY },
    backoff: { initialMs: 20, maxMs: 200 },
    ...options,
  });
  cleanups.push(() => transport.close());
  return {
    transport,
    issuer: createCaller(issuerV1.IssuerServiceService, transport, { deadlineMs: 5_000 }),
  };
}

async function server(
  handlers: Parameters<typeof startIssuer>[0],
  options: Parameters<typeof startIssuer>[1] = {},
): Promise<IssuerHarness> {
  const harness = await startIssuer(handlers, { multiplex: acceptKey, ...options });
  cleanups.push(() => harness.close());
  return harness;
}

const vend = (token: string) => ({ token });
const request = issuerV1.VendRequest.fromPartial({ tenantId: 't' });

describe('stream transport', () => {
  it('carries calls through the same chain: per-method metrics as for unary calls', async () => {
    const harness = await server({ vend: async () => vend('ok') });
    const { issuer } = transportTo(harness.address);
    const answers = await Promise.all(Array.from({ length: 50 }, () => issuer.vend(request)));
    expect(answers.every((answer) => answer.token === 'ok')).toBe(true);
    const metrics = await harness.registry.getSingleMetricAsString('grpc_server_handled_total');
    expect(metrics).toContain('method="Vend"');
    expect(metrics).toMatch(/method="Vend".*code="OK"[^\n]* 50/);
  });

  it('carries failures with the status details a unary call has', async () => {
    const harness = await server({
      vend: async () => {
        throw new TesseraError('TENANT_NOT_FOUND', 'no tenant t', { field: 'tenant_id' });
      },
    });
    const { issuer } = transportTo(harness.address);
    const details = readErrorDetails(await rejection(issuer.vend(request)));
    expect(details).toMatchObject({
      code: Status.NOT_FOUND,
      reason: 'TENANT_NOT_FOUND',
      field: 'tenant_id',
    });
  });

  it('gives each call its own metadata on top of the stream credentials (tenant per request)', async () => {
    const seen: string[] = [];
    const harness = await server({
      vend: async (_request, ctx) => {
        seen.push(`${ctx.metadata.get('authorization')[0]}/${ctx.metadata.get('x-tenant')[0]}`);
        return vend('ok');
      },
    });
    const { issuer } = transportTo(harness.address);
    await issuer.vend(request, { metadata: { 'x-tenant': 'a' } });
    await issuer.vend(request, { metadata: { 'x-tenant': 'b', authorization: 'other' } });
    expect(seen).toEqual([`${KEY}/a`, 'other/b']);
  });

  it('fails at the deadline, and the server sees the call aborted', async () => {
    const aborted = deferred<unknown>();
    const harness = await server({
      vend: (_request, ctx) =>
        new Promise((_, reject) => {
          ctx.signal.addEventListener('abort', () => {
            aborted.resolve(ctx.signal.reason);
            reject(ctx.signal.reason);
          });
        }),
    });
    const { issuer } = transportTo(harness.address);
    const error = await rejection(issuer.vend(request, { deadlineMs: 100 }));
    expect(error.code).toBe(Status.DEADLINE_EXCEEDED);
    expect(readErrorDetails(await aborted.promise)?.code).toBe(Status.DEADLINE_EXCEEDED);
  });

  it('cancels through an AbortSignal, and the server aborts the handler', async () => {
    const started = deferred();
    const aborted = deferred();
    const harness = await server({
      vend: (_request, ctx) =>
        new Promise((_, reject) => {
          started.resolve();
          ctx.signal.addEventListener('abort', () => {
            aborted.resolve();
            reject(ctx.signal.reason);
          });
        }),
    });
    const { issuer } = transportTo(harness.address);
    const controller = new AbortController();
    const call = issuer.vend(request, { signal: controller.signal });
    await started.promise;
    controller.abort();
    expect((await rejection(call)).code).toBe(Status.CANCELLED);
    await aborted.promise;
  });

  it('refuses calls beyond the in-flight bound of a stream with IN_FLIGHT_LIMIT', async () => {
    const release = deferred();
    const harness = await server(
      {
        vend: async () => {
          await release.promise;
          return vend('ok');
        },
      },
      { multiplex: { ...acceptKey, maxInFlightPerStream: 2 } },
    );
    const { issuer } = transportTo(harness.address, {
      streamsPerAddress: 1,
      maxInFlightPerStream: 10,
    });
    const first = [issuer.vend(request), issuer.vend(request)];
    const details = readErrorDetails(await rejection(issuer.vend(request)));
    expect(details).toMatchObject({ code: Status.RESOURCE_EXHAUSTED, reason: 'IN_FLIGHT_LIMIT' });
    release.resolve();
    expect((await Promise.all(first)).map((answer) => answer.token)).toEqual(['ok', 'ok']);
  });

  it('refuses a stream whose key is unknown: calls fail UNAUTHENTICATED', async () => {
    const harness = await server({ vend: async () => vend('ok') });
    const { issuer } = transportTo(harness.address, { metadata: { authorization: 'wrong' } });
    expect((await rejection(issuer.vend(request))).code).toBe(Status.UNAUTHENTICATED);
  });

  it('bounds the queue while no stream is open', async () => {
    // Nothing listens on port 1: streams never open, calls queue until the first refusal.
    const { issuer } = transportTo('127.0.0.1:1', { maxQueued: 1 });
    const queued = issuer.vend(request);
    const overflow = await rejection(issuer.vend(request));
    expect(overflow.code).toBe(Status.UNAVAILABLE);
    expect((await rejection(queued)).code).toBe(Status.UNAVAILABLE);
  });

  it('a replica that stops mid-load drains: its calls finish, new calls move to the other', async () => {
    const first = await server({ vend: async () => vend('first') });
    await server(
      { vend: async () => vend('second') },
      {
        listen: `127.0.0.2:${first.port}`,
      },
    );
    const { issuer, transport } = transportTo(`replicas.test:${first.port}`, {
      resolve: async () => ['127.0.0.1', '127.0.0.2'],
    });
    // Both replicas take calls once both have open streams.
    while (transport.streams.filter((stream) => stream.state === 'open').length < 4) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const warm = await Promise.all(Array.from({ length: 40 }, () => issuer.vend(request)));
    expect(new Set(warm.map((answer) => answer.token))).toEqual(new Set(['first', 'second']));
    const load: Promise<{ token: string }>[] = [];
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 10; i++) load.push(issuer.vend(request));
      if (round === 5) void first.runtime.shutdown({ graceMs: 5_000 });
      await new Promise((resolve) => setImmediate(resolve));
    }
    const answers = await Promise.all(load);
    expect(answers).toHaveLength(200);
    await first.runtime.shutdown();
    const after = await Promise.all(Array.from({ length: 20 }, () => issuer.vend(request)));
    expect(after.every((answer) => answer.token === 'second')).toBe(true);
    expect(transport.streams.some((stream) => stream.address === '127.0.0.2')).toBe(true);
  });

  it('reconnects when the server comes back on the same address', async () => {
    const harness = await server({ vend: async () => vend('one') });
    const { issuer } = transportTo(harness.address);
    expect((await issuer.vend(request)).token).toBe('one');
    await harness.runtime.shutdown({ graceMs: 1_000 });
    const again = await server({ vend: async () => vend('two') }, { listen: harness.address });
    let answer: string | undefined;
    while (answer === undefined) {
      answer = await issuer.vend(request).then(
        (response) => response.token,
        () => undefined,
      );
    }
    expect(answer).toBe('two');
    await again.close();
  });
});
