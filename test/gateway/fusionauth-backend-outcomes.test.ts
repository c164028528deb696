import { status } from '@grpc/grpc-js';
import type { sessionV1 } from '@tessera/contracts';
import type { VerifyResult } from '@tessera/jwt-core';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type Answer,
  type BackendMethod,
  bareStatus,
  type FakeBackendGateway,
  rpcFailure,
  startFakeBackendGateway,
} from './support-fusionauth.js';

/**
 * Every FusionAuth route × every backend outcome it can meet → the documented status and body
 * shape. The backends are scripted, so outcomes a live stack shows only when something is down
 * (UNAVAILABLE, DEADLINE_EXCEEDED, a bare status from a proxy, a gateway bug) are covered too.
 * Statuses come from the gateway's one gRPC → HTTP table plus each route's documented overrides.
 */

let f: FakeBackendGateway;
beforeAll(async () => {
  f = await startFakeBackendGateway();
});
afterAll(() => f.close());
beforeEach(() => {
  f.calls.length = 0;
});

/** The documented answer: a status, and for JSON answers the body (matched partially). */
interface Expected {
  readonly status: number;
  readonly body?: unknown;
}

const empty = (status: number): Expected => ({ status });
const fieldError = (field: string, code = `[invalid]${field}`): Expected => ({
  status: 400,
  body: {
    fieldErrors: { [field]: [expect.objectContaining({ code, message: expect.any(String) })] },
  },
});

/** Outcomes every route meets the same way. */
const COMMON: readonly (readonly [string, unknown, Expected])[] = [
  ['UNAUTHENTICATED', rpcFailure('UNAUTHENTICATED'), empty(401)],
  ['PERMISSION_DENIED (insufficient key)', rpcFailure('PERMISSION_DENIED'), empty(401)],
  [
    'INVALID_ARGUMENT / TENANT_ID_REQUIRED',
    rpcFailure('TENANT_ID_REQUIRED', 'tenant_id'),
    {
      status: 400,
      body: { generalErrors: [expect.objectContaining({ code: '[TenantIdRequired]' })] },
    },
  ],
  [
    'FAILED_PRECONDITION (no reason)',
    bareStatus(status.FAILED_PRECONDITION),
    { status: 400, body: { generalErrors: [expect.objectContaining({ code: '[invalid]' })] } },
  ],
  ['ALREADY_EXISTS', rpcFailure('ALREADY_EXISTS'), empty(409)],
  ['RESOURCE_EXHAUSTED (bare status)', bareStatus(status.RESOURCE_EXHAUSTED), empty(429)],
  ['INTERNAL', rpcFailure('INTERNAL'), empty(500)],
  ['UNKNOWN (bare status)', bareStatus(status.UNKNOWN), empty(500)],
  ['DATA_LOSS (bare status)', bareStatus(status.DATA_LOSS), empty(500)],
  ['UNIMPLEMENTED', rpcFailure('UNIMPLEMENTED'), empty(501)],
  ['UNAVAILABLE', rpcFailure('UNAVAILABLE'), empty(503)],
  ['DEADLINE_EXCEEDED', rpcFailure('DEADLINE_EXCEEDED'), empty(504)],
  ['not a gRPC error (a gateway bug)', new Error('bug'), empty(500)],
];

const record = (id: string): sessionV1.RefreshToken => ({
  id,
  tenantId: 'T',
  applicationId: 'A',
  userId: 'U',
  insertInstant: 2000n,
  startInstant: 1000n,
  expirationInstant: 9000n,
  device: {
    description: '',
    lastAccessedAddress: '10.0.0.1',
    lastAccessedInstant: 3000n,
    name: 'Phone',
    type: 'MOBILE',
  },
  scopes: ['offline_access'],
  dataJson: '{}',
  policy: undefined,
  sessionClaims: undefined,
  sourceId: '',
});

const recordJson = (id: string) => ({
  id,
  tenantId: 'T',
  applicationId: 'A',
  userId: 'U',
  insertInstant: 2000,
  startInstant: 1000,
  metaData: {
    device: {
      lastAccessedAddress: '10.0.0.1',
      lastAccessedInstant: 3000,
      name: 'Phone',
      type: 'MOBILE',
    },
    scopes: ['offline_access'],
  },
});

/** One route: how to call it, what it calls, and its own outcomes beyond {@link COMMON}. */
interface RouteCase {
  readonly name: string;
  readonly backend: BackendMethod;
  readonly request: () => InjectOptions;
  /** Which key the backend must receive: the caller's or the gateway's own. */
  readonly forwards: 'caller' | 'service';
  readonly outcomes: readonly (readonly [string, Answer | unknown, Expected])[];
}

const TOKEN_ID = '3c219e58-ed0e-4b18-ad48-f4f92793ae32';
const USER_ID = '858a4b01-62c8-4c2f-bfa7-6d018833bea7';
const answer =
  (value: unknown): Answer =>
  () =>
    value;

const ROUTES: readonly RouteCase[] = [
  {
    name: 'GET /api/jwt/issue',
    backend: 'issuer.issueForApplication',
    forwards: 'service',
    request: () => ({
      method: 'GET',
      url: `/api/jwt/issue?applicationId=${f.realm.applicationA2}&refreshToken=r1`,
      headers: { authorization: 'Bearer presented.jwt.value' },
    }),
    outcomes: [
      [
        'registered',
        answer({ token: 't', refreshToken: '', refreshTokenId: '', registered: true }),
        { status: 200, body: { token: 't' } },
      ],
      [
        'registered, with a refresh token',
        answer({ token: 't', refreshToken: 'r2', refreshTokenId: 'id', registered: true }),
        { status: 200, body: { token: 't', refreshToken: 'r2' } },
      ],
      [
        'not registered',
        answer({ token: 't', refreshToken: '', refreshTokenId: '', registered: false }),
        { status: 202, body: { token: 't' } },
      ],
      ['TOKEN_INVALID', rpcFailure('TOKEN_INVALID', 'token'), empty(401)],
      [
        'APPLICATION_NOT_FOUND',
        rpcFailure('APPLICATION_NOT_FOUND', 'application_id'),
        fieldError('applicationId'),
      ],
      [
        'INVALID_ARGUMENT refresh_token',
        rpcFailure('INVALID_ARGUMENT', 'refresh_token'),
        fieldError('refreshToken'),
      ],
    ],
  },
  {
    name: 'POST /api/jwt/reconcile',
    backend: 'issuer.reconcile',
    forwards: 'service',
    request: () => ({
      method: 'POST',
      url: '/api/jwt/reconcile',
      payload: {
        applicationId: f.realm.applicationA,
        identityProviderId: f.realm.identityProvider.id,
        data: { token: 'external.jwt.value' },
      },
    }),
    outcomes: [
      [
        'reconciled',
        answer({
          userJson: '{"id":"U","email":"a@b.c"}',
          token: 't',
          refreshToken: 'r',
          refreshTokenId: 'rid',
          tokenExpirationInstant: 1234n,
          refreshTokenExpirationInstant: 0n,
          applicationId: 'A',
        }),
        {
          status: 200,
          body: {
            user: { id: 'U', email: 'a@b.c' },
            token: 't',
            refreshToken: 'r',
            refreshTokenId: 'rid',
            tokenExpirationInstant: 1234,
          },
        },
      ],
      [
        'identity provider not found',
        rpcFailure('IDENTITY_PROVIDER_NOT_FOUND', 'identity_provider_id'),
        empty(401),
      ],
      ['application not found', rpcFailure('APPLICATION_NOT_FOUND', 'application_id'), empty(401)],
      ['untrusted JWT', rpcFailure('UNAUTHENTICATED'), empty(401)],
      [
        'INVALID_ARGUMENT encoded_jwt',
        rpcFailure('INVALID_ARGUMENT', 'encoded_jwt'),
        fieldError('data.token'),
      ],
    ],
  },
  {
    name: 'GET /api/jwt/public-key',
    backend: 'issuer.getPublicKeys',
    forwards: 'service',
    request: () => ({ method: 'GET', url: '/api/jwt/public-key' }),
    outcomes: [
      [
        'all keys',
        answer({ publicKeys: { k1: 'PEM1', k2: 'PEM2' } }),
        { status: 200, body: { publicKeys: { k1: 'PEM1', k2: 'PEM2' } } },
      ],
      ['no keys', answer({ publicKeys: {} }), { status: 200, body: { publicKeys: {} } }],
    ],
  },
  {
    name: 'GET /api/jwt/public-key?kid=',
    backend: 'issuer.getPublicKeys',
    forwards: 'service',
    request: () => ({ method: 'GET', url: '/api/jwt/public-key?kid=k1' }),
    outcomes: [
      [
        'found',
        answer({ publicKeys: { k1: 'PEM1' } }),
        { status: 200, body: { publicKey: 'PEM1' } },
      ],
      ['KEY_NOT_FOUND', rpcFailure('KEY_NOT_FOUND', 'key_id'), empty(404)],
      ['an empty answer', answer({ publicKeys: {} }), empty(404)],
    ],
  },
  {
    name: 'GET /api/jwt/public-key?applicationId=',
    backend: 'issuer.getPublicKeys',
    forwards: 'service',
    request: () => ({
      method: 'GET',
      url: `/api/jwt/public-key?applicationId=${f.realm.applicationA}`,
    }),
    outcomes: [
      [
        'found',
        answer({ publicKeys: { k1: 'PEM1' } }),
        { status: 200, body: { publicKey: 'PEM1' } },
      ],
      ['APPLICATION_NOT_FOUND', rpcFailure('APPLICATION_NOT_FOUND', 'application_id'), empty(404)],
      ['HMAC key (KEY_NOT_FOUND)', rpcFailure('KEY_NOT_FOUND', 'application_id'), empty(404)],
    ],
  },
  {
    name: 'POST /api/jwt/refresh',
    backend: 'issuer.refresh',
    forwards: 'service',
    request: () => ({ method: 'POST', url: '/api/jwt/refresh', payload: { refreshToken: 'r1' } }),
    outcomes: [
      [
        'refreshed',
        answer({
          token: 't',
          refreshToken: 'r2',
          refreshTokenId: 'rid',
          tokenExpirationInstant: 1n,
          refreshTokenExpirationInstant: 0n,
          applicationId: 'A',
        }),
        { status: 200, body: { token: 't', refreshToken: 'r2', refreshTokenId: 'rid' } },
      ],
      [
        'REFRESH_TOKEN_INVALID',
        rpcFailure('REFRESH_TOKEN_INVALID', 'refresh_token'),
        fieldError('refreshToken'),
      ],
      [
        'INVALID_ARGUMENT time_to_live_seconds',
        rpcFailure('INVALID_ARGUMENT', 'time_to_live_seconds'),
        fieldError('timeToLiveInSeconds'),
      ],
      ['REFRESH_TOKEN_NOT_FOUND', rpcFailure('REFRESH_TOKEN_NOT_FOUND', 'id'), empty(404)],
    ],
  },
  {
    name: 'GET /api/jwt/refresh/{tokenId}',
    backend: 'session.get',
    forwards: 'caller',
    request: () => ({
      method: 'GET',
      url: `/api/jwt/refresh/${TOKEN_ID}`,
      headers: { authorization: f.realm.keys.admin },
    }),
    outcomes: [
      [
        'found',
        answer({ record: record(TOKEN_ID) }),
        { status: 200, body: { refreshToken: recordJson(TOKEN_ID) } },
      ],
      ['REFRESH_TOKEN_NOT_FOUND', rpcFailure('REFRESH_TOKEN_NOT_FOUND', 'id'), empty(404)],
      ['INVALID_ARGUMENT id', rpcFailure('INVALID_ARGUMENT', 'id'), fieldError('tokenId')],
    ],
  },
  {
    name: 'GET /api/jwt/refresh?userId=',
    backend: 'session.listByUser',
    forwards: 'caller',
    request: () => ({
      method: 'GET',
      url: `/api/jwt/refresh?userId=${USER_ID}`,
      headers: { authorization: f.realm.keys.admin, 'x-fusionauth-tenantid': f.realm.tenantA },
    }),
    outcomes: [
      [
        'two live tokens',
        answer({ records: [record('a'), record('b')] }),
        { status: 200, body: { refreshTokens: [recordJson('a'), recordJson('b')] } },
      ],
      ['none', answer({ records: [] }), { status: 200, body: { refreshTokens: [] } }],
      ['INVALID_ARGUMENT user_id', rpcFailure('INVALID_ARGUMENT', 'user_id'), fieldError('userId')],
      [
        'TENANT_NOT_FOUND (realm reloaded meanwhile)',
        rpcFailure('TENANT_NOT_FOUND', 'tenant_id'),
        empty(404),
      ],
    ],
  },
  {
    name: 'DELETE /api/jwt/refresh?userId=&applicationId=',
    backend: 'session.revoke',
    forwards: 'caller',
    request: () => ({
      method: 'DELETE',
      url: `/api/jwt/refresh?userId=${USER_ID}&applicationId=${f.realm.applicationA}`,
      headers: { authorization: f.realm.keys.admin },
    }),
    outcomes: [
      ['revoked some', answer({ revokedCount: 2, revocation: undefined }), empty(200)],
      ['revoked none', answer({ revokedCount: 0, revocation: undefined }), empty(200)],
      [
        'INVALID_ARGUMENT user_application.user_id',
        rpcFailure('INVALID_ARGUMENT', 'user_application.user_id'),
        fieldError('userId'),
      ],
    ],
  },
  {
    name: 'DELETE /api/jwt/refresh/{tokenId}',
    backend: 'session.revoke',
    forwards: 'caller',
    request: () => ({
      method: 'DELETE',
      url: `/api/jwt/refresh/${TOKEN_ID}`,
      headers: { authorization: f.realm.keys.admin, 'x-fusionauth-tenantid': f.realm.tenantA },
    }),
    outcomes: [
      ['revoked', answer({ revokedCount: 1, revocation: undefined }), empty(200)],
      ['nothing matched', answer({ revokedCount: 0, revocation: undefined }), empty(404)],
      ['REFRESH_TOKEN_NOT_FOUND', rpcFailure('REFRESH_TOKEN_NOT_FOUND', 'id'), empty(404)],
    ],
  },
  {
    name: 'DELETE /api/jwt/refresh?token=',
    backend: 'session.revoke',
    forwards: 'caller',
    request: () => ({
      method: 'DELETE',
      url: '/api/jwt/refresh?token=abc%2Bdef',
      headers: { authorization: f.realm.keys.admin, 'x-fusionauth-tenantid': f.realm.tenantA },
    }),
    outcomes: [
      ['revoked', answer({ revokedCount: 1, revocation: undefined }), empty(200)],
      ['nothing matched', answer({ revokedCount: 0, revocation: undefined }), empty(404)],
      ['INVALID_ARGUMENT token', rpcFailure('INVALID_ARGUMENT', 'token'), fieldError('token')],
    ],
  },
  {
    name: 'POST /api/jwt/vend',
    backend: 'issuer.vend',
    forwards: 'caller',
    request: () => ({
      method: 'POST',
      url: '/api/jwt/vend',
      headers: { authorization: f.realm.keys.admin },
      payload: { claims: { a: 1 }, keyId: 'k1', timeToLiveInSeconds: 60 },
    }),
    outcomes: [
      ['vended', answer({ token: 'v' }), { status: 200, body: { token: 'v' } }],
      ['KEY_NOT_FOUND', rpcFailure('KEY_NOT_FOUND', 'key_id'), fieldError('keyId')],
      [
        'INVALID_ARGUMENT claims_json',
        rpcFailure('INVALID_ARGUMENT', 'claims_json'),
        fieldError('claims'),
      ],
      [
        'LIMIT_EXCEEDED time_to_live_seconds',
        rpcFailure('LIMIT_EXCEEDED', 'time_to_live_seconds'),
        fieldError('timeToLiveInSeconds'),
      ],
      [
        'TENANT_NOT_FOUND (realm reloaded meanwhile)',
        rpcFailure('TENANT_NOT_FOUND', 'tenant_id'),
        fieldError('tenantId'),
      ],
    ],
  },
];

/** Asserts the status, the body, and FusionAuth's content-type rules (JSON answers are JSON; empty ones are empty). */
function expectAnswer(response: LightMyRequestResponse, expected: Expected): void {
  expect({ status: response.statusCode, body: response.body.slice(0, 300) }).toMatchObject({
    status: expected.status,
  });
  if (expected.body === undefined) {
    expect(response.body).toBe('');
    expect(response.headers['content-type']).toBeUndefined();
    return;
  }
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.json()).toEqual(expected.body);
}

describe.each(ROUTES)('$name', (route) => {
  const rows = [
    ...route.outcomes,
    ...COMMON.filter(([label]) => !route.outcomes.some(([own]) => own === label)),
  ];
  it.each(rows)('%s', async (_label, outcome, expected) => {
    f.answer(
      route.backend,
      typeof outcome === 'function'
        ? (outcome as Answer)
        : () => {
            throw outcome;
          },
    );
    expectAnswer(await f.gateway.inject(route.request()), expected as Expected);
    expect(f.calls.map((c) => c.method)).toEqual([route.backend]);
    const key = route.forwards === 'caller' ? f.realm.keys.admin : f.realm.keys.plain;
    expect(f.calls[0]?.apiKey).toBe(key);
  });
});

describe('GET /api/jwt/validate (the shared local validator, no backend call)', () => {
  const valid: VerifyResult & { tenantId?: string } = {
    valid: true,
    claims: { sub: 'U', exp: 1700000000, roles: ['admin'] },
    kid: 'k',
    header: {},
    tenantId: 'T',
  };
  const reasons = [
    'EXPIRED',
    'NOT_YET_VALID',
    'BAD_SIGNATURE',
    'UNKNOWN_KID',
    'ALG_NOT_ALLOWED',
    'ISSUER_MISMATCH',
    'AUDIENCE_MISMATCH',
    'REVOKED',
    'MALFORMED',
  ] as const;
  const rows: readonly (readonly [string, VerifyResult, Expected])[] = [
    ['valid', valid, { status: 200, body: { jwt: valid.claims } }],
    ...reasons.map((reason) => [reason, { valid: false, reason }, empty(401)] as const),
  ];
  it.each(rows)('%s', async (_label, result, expected) => {
    f.validateWith(async () => result);
    for (const headers of [{ authorization: 'Bearer a.b.c' }, { cookie: 'access_token=a.b.c' }]) {
      expectAnswer(
        await f.gateway.inject({ method: 'GET', url: '/api/jwt/validate', headers }),
        expected,
      );
    }
    expect(f.calls).toEqual([]);
  });

  it('a validator that throws is a 500 with an empty body', async () => {
    f.validateWith(async () => {
      throw new Error('bug');
    });
    expectAnswer(
      await f.gateway.inject({
        method: 'GET',
        url: '/api/jwt/validate',
        headers: { authorization: 'Bearer a.b.c' },
      }),
      empty(500),
    );
  });
});

describe('DELETE with JWT authentication (validator, then the session with the gateway key)', () => {
  const owner: VerifyResult & { tenantId?: string } = {
    valid: true,
    claims: { sub: USER_ID },
    kid: 'k',
    header: {},
    tenantId: 'T',
  };
  const rows: readonly (readonly [
    string,
    VerifyResult & { tenantId?: string },
    Answer | unknown,
    Expected,
  ])[] = [
    ['owner, revoked', owner, answer({ revokedCount: 1, revocation: undefined }), empty(200)],
    [
      'not the owner (REFRESH_TOKEN_NOT_FOUND)',
      owner,
      rpcFailure('REFRESH_TOKEN_NOT_FOUND', 'id'),
      empty(404),
    ],
    ['session UNAVAILABLE', owner, rpcFailure('UNAVAILABLE'), empty(503)],
  ];
  it.each(rows)('%s', async (_label, verified, outcome, expected) => {
    f.validateWith(async () => verified);
    f.answer(
      'session.revoke',
      typeof outcome === 'function'
        ? (outcome as Answer)
        : () => {
            throw outcome;
          },
    );
    expectAnswer(
      await f.gateway.inject({
        method: 'DELETE',
        url: `/api/jwt/refresh/${TOKEN_ID}`,
        headers: { authorization: 'Bearer a.b.c' },
      }),
      expected,
    );
    expect(f.calls).toEqual([
      {
        method: 'session.revoke',
        apiKey: f.realm.keys.plain,
        requestId: expect.any(String),
        request: {
          tenantId: 'T',
          selector: { $case: 'id', value: TOKEN_ID },
          ownerUserId: USER_ID,
        },
      },
    ]);
  });

  it('an invalid JWT is 401 before any backend call', async () => {
    f.validateWith(async () => ({ valid: false, reason: 'EXPIRED' }));
    expectAnswer(
      await f.gateway.inject({
        method: 'DELETE',
        url: `/api/jwt/refresh/${TOKEN_ID}`,
        headers: { authorization: 'Bearer a.b.c' },
      }),
      empty(401),
    );
    expect(f.calls).toEqual([]);
  });
});
