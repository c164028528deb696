import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import {
  createGrpcTransport,
  createIssuerClient,
  type IssuerClient,
  type Transport,
} from '@tessera/client';
import { issuerV1 } from '@tessera/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';
import { failure } from './client-failure.js';

let s: Stack;
let issuer: IssuerClient & { close(): void };

beforeAll(async () => {
  s = await startStack();
  issuer = createIssuerClient({
    address: s.issuerAddress,
    tls: false,
    apiKey: s.realm.keys.admin,
  });
});
afterAll(async () => {
  issuer.close();
  await s.close();
});

describe('@tessera/client against a running issuer', () => {
  it('vends and validates with typed calls and partial requests', async () => {
    const { token } = await issuer.vend({
      tenantId: s.realm.tenantA,
      claimsJson: '{"sub":"client-user"}',
      timeToLiveSeconds: 300,
    });
    const result = await issuer.validate({ tenantId: s.realm.tenantA, token });
    expect(result.valid).toBe(true);
    expect(JSON.parse(result.claimsJson)).toMatchObject({ sub: 'client-user' });
    expect(
      await issuer.validate({ tenantId: s.realm.tenantA, token: 'not.a.token' }),
    ).toMatchObject({
      valid: false,
      reason: 'VALIDATION_REASON_MALFORMED',
    });
  });

  it('fails with the status by name and tessera reason; a call can override the key', async () => {
    const noKey = await failure(
      issuer.vend({ claimsJson: '{}' }, { metadata: { authorization: '' } }),
    );
    expect(noKey.code).toBe('UNAUTHENTICATED');
    const vendOnly = createIssuerClient({
      address: s.issuerAddress,
      tls: false,
      apiKey: s.realm.keys.vendOnly,
    });
    try {
      const denied = await failure(vendOnly.startSession({ userId: 'u' }));
      expect(denied.code).toBe('PERMISSION_DENIED');
      expect(denied.reason).toBe('PERMISSION_DENIED');
    } finally {
      vendOnly.close();
    }
  });

  it('streams WatchKeys as an async iterable until aborted', async () => {
    const abort = new AbortController();
    for await (const update of issuer.watchKeys({}, { signal: abort.signal })) {
      expect(update.revision).toBeGreaterThan(0n);
      abort.abort();
    }
  });
});

/** An issuer whose Validate fails `failures` times with UNAVAILABLE, whose Vend always does. */
async function flakyIssuer(failures: number) {
  const calls = { validate: 0, vend: 0, getJwks: 0 };
  const server = new Server();
  const unavailable = { code: status.UNAVAILABLE, details: 'try again' };
  server.addService(issuerV1.IssuerServiceService, {
    validate: (
      _call: ServerUnaryCall<unknown, unknown>,
      callback: sendUnaryData<issuerV1.ValidateResponse>,
    ) => {
      calls.validate += 1;
      if (calls.validate <= failures) callback(unavailable);
      else callback(null, issuerV1.ValidateResponse.fromPartial({ valid: true }));
    },
    vend: (
      _call: ServerUnaryCall<unknown, unknown>,
      callback: sendUnaryData<issuerV1.VendResponse>,
    ) => {
      calls.vend += 1;
      callback(unavailable);
    },
    // Never answers: only the deadline ends the call.
    getJwks: () => {
      calls.getJwks += 1;
    },
  } as never);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { calls, address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

describe('@tessera/client retries and deadlines', () => {
  it('retries an idempotent RPC after UNAVAILABLE, never one that mints', async () => {
    const flaky = await flakyIssuer(2);
    const client = createIssuerClient({
      address: flaky.address,
      tls: false,
      retry: { maxAttempts: 3, initialBackoffMs: 5 },
    });
    try {
      expect(await client.validate({ token: 't' })).toMatchObject({ valid: true });
      expect(flaky.calls.validate).toBe(3);
      expect((await failure(client.vend({ claimsJson: '{}' }))).code).toBe('UNAVAILABLE');
      expect(flaky.calls.vend).toBe(1);
    } finally {
      client.close();
      flaky.stop();
    }
  });

  it('gives up after maxAttempts with the last status', async () => {
    const flaky = await flakyIssuer(10);
    const client = createIssuerClient({
      address: flaky.address,
      tls: false,
      retry: { maxAttempts: 2, initialBackoffMs: 1 },
    });
    try {
      expect((await failure(client.validate({ token: 't' }))).code).toBe('UNAVAILABLE');
      expect(flaky.calls.validate).toBe(2);
    } finally {
      client.close();
      flaky.stop();
    }
  });

  it('ends a call that gets no answer at its deadline', async () => {
    const flaky = await flakyIssuer(0);
    const client = createIssuerClient({ address: flaky.address, tls: false, deadlineMs: 200 });
    try {
      expect((await failure(client.getJwks({}))).code).toBe('DEADLINE_EXCEEDED');
      expect(flaky.calls.getJwks).toBe(1);
    } finally {
      client.close();
      flaky.stop();
    }
  });

  it('takes any transport: calls go through the one given', async () => {
    const grpc = createGrpcTransport({ address: s.issuerAddress, tls: false });
    const paths: string[] = [];
    const counting: Transport = {
      unary: (method, request, options) => {
        paths.push(method.path);
        return grpc.unary(method, request, options);
      },
      serverStream: (method, request, options) => grpc.serverStream(method, request, options),
      close: () => grpc.close(),
    };
    const client = createIssuerClient({ transport: counting, apiKey: s.realm.keys.admin });
    try {
      const { publicKeys } = await client.getPublicKeys({});
      expect(Object.keys(publicKeys).length).toBeGreaterThan(0);
      expect(paths).toEqual(['/tessera.issuer.v1.IssuerService/GetPublicKeys']);
    } finally {
      client.close();
    }
  });

  it('refuses options that make no sense', () => {
    expect(() => createIssuerClient({ address: '127.0.0.1:1' } as never)).toThrow(/tls/);
    expect(() => createIssuerClient({ address: '127.0.0.1:1', tls: false, deadlineMs: 0 })).toThrow(
      /deadlineMs/,
    );
    expect(() =>
      createIssuerClient({ address: '127.0.0.1:1', tls: false, retry: { maxAttempts: 0 } }),
    ).toThrow(/maxAttempts/);
  });
});
