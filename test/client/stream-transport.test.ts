/**
 * `@tessera/client` over `createStreamTransport`: unary calls multiplexed on MultiplexService
 * streams against a live stack, and against scripted real gRPC servers for what a stack does
 * not do on demand (a call that is never answered, UNAVAILABLE answers, a method not carried).
 */
import {
  Metadata,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import {
  createGrpcTransport,
  createIssuerClient,
  createSessionClient,
  createStreamTransport,
  TesseraClientError,
  type Transport,
} from '@tessera/client';
import { issuerV1, transportV1 } from '@tessera/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';
import { failure } from './client-failure.js';

let s: Stack;

beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s.close();
});

/** What a caller reads off a failure. */
function shape(error: TesseraClientError) {
  const { code, grpcCode, reason, method, message } = error;
  return { code, grpcCode, reason, method, message };
}

/** A grpc transport that records what it is asked to carry: the stream transport's fallback. */
function recordingFallback(address: string) {
  const grpc = createGrpcTransport({ address, tls: false });
  const unary: string[] = [];
  const streams: string[] = [];
  const transport: Transport = {
    unary: (method, request, options) => {
      unary.push(method.path);
      return grpc.unary(method, request, options);
    },
    serverStream: (method, request, options) => {
      streams.push(method.path);
      return grpc.serverStream(method, request, options);
    },
    close: () => grpc.close(),
  };
  return { transport, unary, streams };
}

describe('@tessera/client over the stream transport, against a running stack', () => {
  it('carries unary calls on the stream and server-streams over the fallback', async () => {
    const fallback = recordingFallback(s.issuerAddress);
    const issuer = createIssuerClient({
      transport: createStreamTransport({
        address: s.issuerAddress,
        tls: false,
        apiKey: s.realm.keys.admin,
        fallback: fallback.transport,
      }),
      apiKey: s.realm.keys.admin,
    });
    try {
      const { token } = await issuer.vend({
        tenantId: s.realm.tenantA,
        claimsJson: '{"sub":"stream-user"}',
        timeToLiveSeconds: 300,
      });
      const result = await issuer.validate({ tenantId: s.realm.tenantA, token });
      expect(result.valid).toBe(true);
      expect(JSON.parse(result.claimsJson)).toMatchObject({ sub: 'stream-user' });
      const abort = new AbortController();
      for await (const update of issuer.watchKeys({}, { signal: abort.signal })) {
        expect(update.revision).toBeGreaterThan(0n);
        abort.abort();
      }
      expect(fallback.unary).toEqual([]);
      expect(fallback.streams).toEqual(['/tessera.issuer.v1.IssuerService/WatchKeys']);
    } finally {
      issuer.close();
    }
  });

  it('carries the session service too', async () => {
    const fallback = recordingFallback(s.sessionAddress);
    const session = createSessionClient({
      transport: createStreamTransport({
        address: s.sessionAddress,
        tls: false,
        apiKey: s.realm.keys.admin,
        fallback: fallback.transport,
      }),
      apiKey: s.realm.keys.admin,
    });
    try {
      const missing = await failure(session.get({ tenantId: s.realm.tenantA, id: 'no-such-id' }));
      expect(missing.reason).toBe('REFRESH_TOKEN_NOT_FOUND');
      const overUnary = createSessionClient({
        address: s.sessionAddress,
        tls: false,
        apiKey: s.realm.keys.admin,
      });
      try {
        const same = await failure(overUnary.get({ tenantId: s.realm.tenantA, id: 'no-such-id' }));
        expect(shape(missing)).toEqual(shape(same));
      } finally {
        overUnary.close();
      }
      expect(fallback.unary).toEqual([]);
    } finally {
      session.close();
    }
  });

  it('fails with the same status, reason and message as over the unary transport', async () => {
    const overStream = createIssuerClient({
      transport: createStreamTransport({
        address: s.issuerAddress,
        tls: false,
        apiKey: s.realm.keys.vendOnly,
      }),
      apiKey: s.realm.keys.vendOnly,
    });
    const overUnary = createIssuerClient({
      address: s.issuerAddress,
      tls: false,
      apiKey: s.realm.keys.vendOnly,
    });
    try {
      const streamed = await failure(overStream.startSession({ userId: 'u' }));
      const unary = await failure(overUnary.startSession({ userId: 'u' }));
      expect(streamed).toBeInstanceOf(TesseraClientError);
      expect(streamed.code).toBe('PERMISSION_DENIED');
      expect(streamed.reason).toBe('PERMISSION_DENIED');
      expect(shape(streamed)).toEqual(shape(unary));
      // A per-call key replaces the stream's for that call only, as over the unary transport.
      const noKey = await failure(
        overStream.vend({ claimsJson: '{}' }, { metadata: { authorization: 'wrong' } }),
      );
      expect(noKey.code).toBe('UNAUTHENTICATED');
    } finally {
      overStream.close();
      overUnary.close();
    }
  });

  it('fails every call of a stream the server refuses, with its status', async () => {
    const issuer = createIssuerClient({
      transport: createStreamTransport({
        address: s.issuerAddress,
        tls: false,
        apiKey: 'not-a-key',
      }),
    });
    try {
      const refused = await failure(issuer.vend({ claimsJson: '{}' }));
      expect(refused.code).toBe('UNAUTHENTICATED');
      expect(refused.method).toBe('/tessera.issuer.v1.IssuerService/Vend');
    } finally {
      issuer.close();
    }
  });

  it('refuses to start without an API key (the stream is authenticated when it opens)', () => {
    expect(() =>
      createStreamTransport({ address: s.issuerAddress, tls: false, apiKey: '' }),
    ).toThrow(/apiKey/);
  });
});

type Exchange = ServerDuplexStream<transportV1.ExchangeRequest, transportV1.ExchangeResponse>;

type ScriptedIssuer = Awaited<ReturnType<typeof scriptedIssuer>>;

/**
 * Runs `body` with a scripted issuer (see {@link scriptedIssuer}) and a client of it over the
 * stream transport, built with `options`; both are closed after, whatever `body` did.
 */
async function withScriptedIssuer(
  scripted: Promise<ScriptedIssuer>,
  options: Omit<Parameters<typeof createIssuerClient>[0], 'transport'>,
  body: (server: ScriptedIssuer, issuer: ReturnType<typeof createIssuerClient>) => Promise<void>,
): Promise<void> {
  const server = await scripted;
  const issuer = createIssuerClient({
    ...options,
    transport: createStreamTransport({ address: server.address, tls: false, apiKey: 'k' }),
  });
  try {
    await body(server, issuer);
  } finally {
    issuer.close();
    server.stop();
  }
}

/**
 * A real server of MultiplexService whose answers a test scripts: per method, UNAVAILABLE,
 * UNIMPLEMENTED, or no answer at all; it also serves the unary Validate (the fallback's).
 */
async function scriptedIssuer(
  answer: Record<string, 'unavailable' | 'unimplemented' | 'never'>,
  multiplex = true,
) {
  const carried: string[] = [];
  const cancelled: number[] = [];
  const unaryValidate = { calls: 0 };
  let onCancel: () => void = () => {};
  let onCall: () => void = () => {};
  const server = new Server();
  if (multiplex)
    server.addService(transportV1.MultiplexServiceService, {
      exchange: (stream: Exchange) => {
        stream.on('data', (message: transportV1.ExchangeRequest) => {
          const kind = message.kind;
          if (kind?.$case === 'cancel') {
            cancelled.push(kind.value.requestId);
            onCancel();
            return;
          }
          if (kind?.$case !== 'call') return;
          const { requestId, method } = kind.value;
          carried.push(method);
          onCall();
          const script = answer[method.slice(method.lastIndexOf('/') + 1)] ?? 'never';
          if (script === 'never') return;
          const code = script === 'unavailable' ? status.UNAVAILABLE : status.UNIMPLEMENTED;
          stream.write({
            kind: {
              $case: 'result',
              value: {
                requestId,
                outcome: { $case: 'error', value: { code, message: script, details: [] } },
              },
            },
          });
        });
        stream.on('end', () => stream.end());
        stream.on('error', () => {});
        stream.sendMetadata(new Metadata());
      },
    } as never);
  server.addService(issuerV1.IssuerServiceService, {
    validate: (
      _call: ServerUnaryCall<unknown, unknown>,
      callback: sendUnaryData<issuerV1.ValidateResponse>,
    ) => {
      unaryValidate.calls += 1;
      callback(null, issuerV1.ValidateResponse.fromPartial({ valid: true }));
    },
  } as never);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    carried,
    cancelled,
    unaryValidate,
    callSeen: () =>
      new Promise<void>((resolve) => {
        onCall = resolve;
      }),
    cancelSeen: () =>
      new Promise<void>((resolve) => {
        onCancel = resolve;
      }),
    stop: () => server.forceShutdown(),
  };
}

const VALIDATE = '/tessera.issuer.v1.IssuerService/Validate';
const VEND = '/tessera.issuer.v1.IssuerService/Vend';
const GET_JWKS = '/tessera.issuer.v1.IssuerService/GetJwks';

describe('@tessera/client over the stream transport: deadlines, cancels, retries, fallback', () => {
  it('ends a call that gets no answer at its deadline', async () => {
    await withScriptedIssuer(
      scriptedIssuer({ GetJwks: 'never' }),
      { deadlineMs: 200 },
      async (scripted, issuer) => {
        const late = await failure(issuer.getJwks({}));
        expect(late.code).toBe('DEADLINE_EXCEEDED');
        expect(late.method).toBe(GET_JWKS);
        expect(scripted.carried).toEqual([GET_JWKS]);
      },
    );
  });

  it('cancels a call on abort, and tells the server', async () => {
    await withScriptedIssuer(
      scriptedIssuer({ GetJwks: 'never' }),
      { deadlineMs: 60_000 },
      async (scripted, issuer) => {
        const abort = new AbortController();
        const sent = scripted.callSeen();
        const cancelled = scripted.cancelSeen();
        const call = failure(issuer.getJwks({}, { signal: abort.signal }));
        await sent;
        abort.abort();
        const error = await call;
        expect(error.code).toBe('CANCELLED');
        await cancelled;
        expect(scripted.cancelled).toHaveLength(1);
        // An already aborted signal never reaches the server.
        expect((await failure(issuer.getJwks({}, { signal: abort.signal }))).code).toBe(
          'CANCELLED',
        );
        expect(scripted.carried).toEqual([GET_JWKS]);
      },
    );
  });

  it('retries an idempotent RPC after UNAVAILABLE, never one that mints', async () => {
    await withScriptedIssuer(
      scriptedIssuer({ Validate: 'unavailable', Vend: 'unavailable' }),
      { retry: { maxAttempts: 3, initialBackoffMs: 1 } },
      async (scripted, issuer) => {
        expect((await failure(issuer.validate({ token: 't' }))).code).toBe('UNAVAILABLE');
        expect(scripted.carried.filter((path) => path === VALIDATE)).toHaveLength(3);
        expect((await failure(issuer.vend({ claimsJson: '{}' }))).code).toBe('UNAVAILABLE');
        expect(scripted.carried.filter((path) => path === VEND)).toHaveLength(1);
      },
    );
  });

  it('sends a method the stream does not carry over the fallback, from then on directly', async () => {
    await withScriptedIssuer(
      scriptedIssuer({ Validate: 'unimplemented' }),
      {},
      async (scripted, issuer) => {
        expect(await issuer.validate({ token: 't' })).toMatchObject({ valid: true });
        expect(await issuer.validate({ token: 't' })).toMatchObject({ valid: true });
        expect(scripted.carried).toEqual([VALIDATE]);
        expect(scripted.unaryValidate.calls).toBe(2);
      },
    );
  });

  it('falls back for a server that has no MultiplexService at all', async () => {
    await withScriptedIssuer(scriptedIssuer({}, false), {}, async (scripted, issuer) => {
      expect(await issuer.validate({ token: 't' })).toMatchObject({ valid: true });
      expect(scripted.unaryValidate.calls).toBe(1);
    });
  });
});
