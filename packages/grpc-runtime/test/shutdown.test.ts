import { once } from 'node:events';
import {
  credentials,
  Server,
  ServerCredentials,
  type ServiceError,
  status as Status,
} from '@grpc/grpc-js';
import { issuerV1 } from '@tessera/contracts';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { adaptService, createCallPipeline, readErrorDetails, unaryCall } from '../src/index.js';
import { deferred } from './support/deferred.js';
import {
  type IssuerHandlers,
  type IssuerHarness,
  rejection,
  startIssuer,
} from './support/issuer-harness.js';

const VEND = { tenantId: 't1', claimsJson: '{}', keyId: '', timeToLiveSeconds: 0 };

describe('graceful shutdown', () => {
  let harness: IssuerHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('lets an in-flight call finish, refuses new ones, and is idempotent', async () => {
    const started = deferred();
    const release = deferred();
    harness = await startIssuer({
      vend: async () => {
        started.resolve();
        await release.promise;
        return { token: 'finished during shutdown' };
      },
    });
    const { client, runtime } = harness;
    const slow = unaryCall(client.vend.bind(client), VEND, { deadlineMs: 30_000 });
    await started.promise;

    const stopping = runtime.shutdown({ graceMs: 20_000 });
    expect(runtime.shutdown()).toBe(stopping);
    expect(runtime.shuttingDown).toBe(true);

    const refused = await rejection(
      unaryCall(client.vend.bind(client), VEND, { deadlineMs: 5_000 }),
    );
    expect(refused.code).toBe(Status.UNAVAILABLE);

    release.resolve();
    expect((await slow).token).toBe('finished during shutdown');
    await stopping;
    expect(harness.logs.records).toContainEqual(
      expect.objectContaining({ msg: 'grpc server stopped' }),
    );
  });

  it('cancels a stuck call once the grace period is over', async () => {
    const started = deferred();
    const cancelled = deferred<unknown>();
    const never = deferred();
    harness = await startIssuer({
      vend: async (_request, ctx) => {
        started.resolve();
        ctx.signal.addEventListener('abort', () => cancelled.resolve(ctx.signal.reason));
        await never.promise;
        return { token: 'never sent' };
      },
    });
    const { client, runtime } = harness;
    const stuck = unaryCall(client.vend.bind(client), VEND, { deadlineMs: 30_000 });
    await started.promise;

    await runtime.shutdown({ graceMs: 100 });
    const error = await rejection(stuck);
    expect([Status.CANCELLED, Status.UNAVAILABLE, Status.INTERNAL]).toContain(error.code);
    expect(await cancelled.promise).toMatchObject({
      code: Status.UNAVAILABLE,
      reason: 'SHUTTING_DOWN',
    });
    expect(harness.logs.records).toContainEqual(
      expect.objectContaining({ msg: 'grpc server stopped after cancelling calls still running' }),
    );
    never.resolve();
  });

  it('ends open server-streams with UNAVAILABLE (SHUTTING_DOWN) so clients move on', async () => {
    const closed = deferred();
    harness = await startIssuer({
      watchKeys: async function* (_request, ctx) {
        try {
          yield { revision: 1n, keys: [], profiles: [] };
          await once(ctx.signal, 'abort');
        } finally {
          closed.resolve();
        }
      },
    });
    const stream = harness.client.watchKeys({});
    const ended = new Promise<ServiceError>((resolve) => stream.once('error', resolve));
    await once(stream, 'data');

    await harness.runtime.shutdown({ graceMs: 20_000 });
    const error = await ended;
    expect(error.code).toBe(Status.UNAVAILABLE);
    expect(readErrorDetails(error)?.reason).toBe('SHUTTING_DOWN');
    await closed.promise;
  });
});

describe('shutdown gate', () => {
  it('answers UNAVAILABLE with reason SHUTTING_DOWN once the pipeline signal aborts', async () => {
    const shutdown = new AbortController();
    const pipeline = createCallPipeline({
      logger: pino({ level: 'silent' }),
      registry: new Registry(),
      shutdownSignal: shutdown.signal,
    });
    const handlers: Pick<IssuerHandlers, 'getJwks'> = {
      getJwks: async () => ({ jwksJson: '{"keys":[]}' }),
    };
    const server = new Server();
    server.addService(
      { getJwks: issuerV1.IssuerServiceService.getJwks },
      adaptService({ getJwks: issuerV1.IssuerServiceService.getJwks }, handlers, pipeline),
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    const client = new issuerV1.IssuerServiceClient(
      `127.0.0.1:${port}`,
      credentials.createInsecure(),
    );
    try {
      const call = () =>
        unaryCall(client.getJwks.bind(client), { tenantId: '' }, { deadlineMs: 5_000 });
      expect((await call()).jwksJson).toBe('{"keys":[]}');
      shutdown.abort();
      const error = await rejection(call());
      expect(error.code).toBe(Status.UNAVAILABLE);
      expect(readErrorDetails(error)?.reason).toBe('SHUTTING_DOWN');
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
