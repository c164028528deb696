import { Client, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { hashApiKey, parseRealm } from '@tessera/config';
import { issuerV1 } from '@tessera/contracts';
import { TesseraError } from '@tessera/errors';
import {
  type AsyncServiceHandlers,
  createGrpcServer,
  type GrpcServerRuntime,
  readErrorDetails,
  registerService,
} from '@tessera/grpc-runtime';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessInterceptor,
  accessRules,
  type Caller,
  callerOf,
  ISSUER_REQUIREMENTS,
} from '../src/index.js';

const TENANT = '6b1c1c77-9a6e-4a62-9b7a-4f3c2a1d0e01';
const realm = parseRealm(
  `keys: { file: k.json }
tenants: [{ id: ${TENANT}, issuer: x }]
apiKeys:
  - { id: all, keyHash: ${hashApiKey('key-with-everything')} }
  - { id: vend, keyHash: ${hashApiKey('vend-only')}, permissions: { /api/jwt/vend: [POST] } }
`,
  'realm.yaml',
);

/**
 * The issuer's definition plus one method its table does not list, served by the same
 * server: what a new RPC would look like if it were added without an access rule.
 */
const EXTENDED = {
  ...issuerV1.IssuerServiceService,
  unlisted: {
    ...issuerV1.IssuerServiceService.getJwks,
    path: '/tessera.issuer.v1.IssuerService/Unlisted',
  },
} as const;

const served: string[] = [];
const callers: Caller[] = [];
const notUsed = async (): Promise<never> => {
  throw new TesseraError('INTERNAL', 'not used by this test');
};
const handlers: AsyncServiceHandlers<typeof EXTENDED> = {
  vend: async (_request, ctx) => {
    callers.push(callerOf(ctx));
    return { token: 'vended' };
  },
  generate: notUsed,
  issueApplicationToken: notUsed,
  issueForApplication: notUsed,
  startSession: notUsed,
  refresh: notUsed,
  reconcile: notUsed,
  validate: notUsed,
  getPublicKeys: notUsed,
  getJwks: async (_request, ctx) => {
    callers.push(callerOf(ctx));
    return { jwksJson: '{"keys":[]}' };
  },
  watchKeys: () => {
    throw new TesseraError('INTERNAL', 'not used by this test');
  },
  unlisted: async () => {
    served.push('unlisted');
    return { jwksJson: 'served without an access rule' };
  },
};

let runtime: GrpcServerRuntime;
let client: Client;
beforeAll(async () => {
  runtime = createGrpcServer({
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
    services: [registerService(EXTENDED, handlers)],
    interceptors: [
      accessInterceptor({
        realm: () => realm,
        services: [accessRules(issuerV1.IssuerServiceService, ISSUER_REQUIREMENTS)],
      }),
    ],
  });
  const port = await runtime.listen('127.0.0.1:0');
  client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
});
afterAll(async () => {
  client?.close();
  await runtime?.shutdown({ graceMs: 500 });
});

function call(
  method: keyof typeof EXTENDED,
  apiKey: string | undefined,
): Promise<{ code: status; reason: string | undefined }> {
  const definition = EXTENDED[method];
  const metadata = new Metadata();
  if (apiKey !== undefined) metadata.set('authorization', apiKey);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      definition.path,
      // An empty message is a valid request of every method.
      () => Buffer.alloc(0),
      (bytes: Buffer) => bytes,
      undefined,
      metadata,
      { deadline: Date.now() + 10_000 },
      (error: ServiceError | null) =>
        resolve(
          error === null
            ? { code: status.OK, reason: undefined }
            : { code: error.code, reason: readErrorDetails(error)?.reason },
        ),
    );
  });
}

describe('security finding 13 — the access interceptor denies by default', () => {
  it('finding 13: refuses an RPC its tables do not list, with or without a key, and never runs it', async () => {
    const denied = { code: status.PERMISSION_DENIED, reason: 'PERMISSION_DENIED' };
    expect(await call('unlisted', undefined)).toEqual(denied);
    expect(await call('unlisted', 'key-with-everything')).toEqual(denied);
    expect(served).toEqual([]);
  });

  it('finding 13: UNAUTHENTICATED without a key or with an unknown one, PERMISSION_DENIED without the permission', async () => {
    expect(await call('vend', undefined)).toMatchObject({ code: status.UNAUTHENTICATED });
    expect(await call('vend', 'not-a-key')).toMatchObject({ code: status.UNAUTHENTICATED });
    expect(await call('validate', 'vend-only')).toMatchObject({
      code: status.PERMISSION_DENIED,
    });
  });

  it('finding 13: puts a typed caller on every call: the key, or anonymous for open RPCs', async () => {
    callers.length = 0;
    expect(await call('vend', 'vend-only')).toMatchObject({ code: status.OK });
    expect(await call('getJwks', undefined)).toMatchObject({ code: status.OK });
    expect(callers.map((caller) => caller.kind)).toEqual(['api-key', 'anonymous']);
    const [first] = callers;
    expect(first?.kind === 'api-key' ? first.key.id : undefined).toBe('vend');
  });
});
