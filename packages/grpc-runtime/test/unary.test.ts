import { Metadata, status as Status } from '@grpc/grpc-js';
import { TesseraError } from '@tessera/errors';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CallContext,
  CallKey,
  credentialsMetadata,
  type Interceptor,
  readCredentials,
  readErrorDetails,
  unaryCall,
} from '../src/index.js';
import { type IssuerHarness, rejection, startIssuer } from './support/issuer-harness.js';

const API_KEY = 'tk_live_secret-api-key-value';

describe('unary handlers', () => {
  let harness: IssuerHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('answers with the handler result and gives it the call context', async () => {
    let seen: CallContext | undefined;
    harness = await startIssuer({
      vend: async (request, ctx) => {
        seen = ctx;
        return { token: `token-for-${request.tenantId}` };
      },
    });
    const metadata = credentialsMetadata(API_KEY);
    metadata.set('x-request-id', 'req-42');
    const { client } = harness;
    const response = await unaryCall(
      client.vend.bind(client),
      { tenantId: 't1', claimsJson: '{}', keyId: '', timeToLiveSeconds: 0 },
      { deadlineMs: 5_000, metadata },
    );

    expect(response.token).toBe('token-for-t1');
    expect(seen?.method).toBe('/tessera.issuer.v1.IssuerService/Vend');
    expect(seen?.kind).toBe('unary');
    expect(seen?.requestId).toBe('req-42');
    expect(seen?.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(seen?.deadline).toBeGreaterThan(Date.now());
    expect(seen?.signal.aborted).toBe(false);
    expect(readCredentials(seen?.metadata ?? new Metadata())).toEqual({ apiKey: API_KEY });
  });

  it('logs one debug line per call with rpc, code, duration and peer, and no metadata', async () => {
    harness = await startIssuer({ vend: async () => ({ token: 'signed' }) });
    const { client } = harness;
    await unaryCall(
      client.vend.bind(client),
      { tenantId: '', claimsJson: '{}', keyId: '', timeToLiveSeconds: 0 },
      { deadlineMs: 5_000, metadata: credentialsMetadata(API_KEY) },
    );

    const lines = harness.logs.records.filter((record) => record.msg === 'rpc finished');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 20,
      rpc: '/tessera.issuer.v1.IssuerService/Vend',
      code: 'OK',
      peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      requestId: expect.any(String),
    });
    expect(lines[0]?.duration_ms).toEqual(expect.any(Number));
    expect(harness.logs.text()).not.toContain(API_KEY);
  });

  it('runs custom interceptors inside the built-ins and passes values to handlers', async () => {
    const callerKey = new CallKey<string>('caller');
    const authenticate: Interceptor = (request, ctx, next) => {
      const { apiKey } = readCredentials(ctx.metadata);
      if (apiKey !== API_KEY) {
        return Promise.reject(new TesseraError('UNAUTHENTICATED', 'unknown API key'));
      }
      ctx.values.set(callerKey, 'service-a');
      return next(request, ctx);
    };
    harness = await startIssuer(
      { vend: async (_request, ctx) => ({ token: `for ${ctx.values.get(callerKey)}` }) },
      { interceptors: [authenticate] },
    );
    const { client } = harness;
    const request = { tenantId: '', claimsJson: '{}', keyId: '', timeToLiveSeconds: 0 };

    const ok = await unaryCall(client.vend.bind(client), request, {
      deadlineMs: 5_000,
      metadata: credentialsMetadata(API_KEY),
    });
    expect(ok.token).toBe('for service-a');

    const error = await rejection(
      unaryCall(client.vend.bind(client), request, { deadlineMs: 5_000 }),
    );
    expect(error.code).toBe(Status.UNAUTHENTICATED);
    expect(readErrorDetails(error)?.reason).toBe('UNAUTHENTICATED');
    // The rejection went through the built-in logging like a handler error would.
    expect(harness.logs.records).toContainEqual(
      expect.objectContaining({ msg: 'rpc finished', code: 'UNAUTHENTICATED', level: 40 }),
    );
  });
});
