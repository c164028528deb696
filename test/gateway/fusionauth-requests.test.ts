import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeBackendGateway, startFakeBackendGateway } from './support-fusionauth.js';

/**
 * What the FusionAuth routes accept and what they make of it: credential shapes, the tenant,
 * the official client's `null`/`undefined` quirk, cookies, bodies as JSON or form, and the
 * errors FusionAuth answers bad input with. Backends are scripted; each test checks the
 * request the backend received (or that none was made).
 */

let f: FakeBackendGateway;
beforeAll(async () => {
  f = await startFakeBackendGateway();
  f.answer('issuer.issueForApplication', () => ({
    token: 't',
    refreshToken: '',
    refreshTokenId: '',
    registered: true,
  }));
  f.answer('issuer.reconcile', () => ({
    userJson: '{"id":"U"}',
    token: accessToken,
    refreshToken: 'r',
    refreshTokenId: 'rid',
    tokenExpirationInstant: 1n,
    refreshTokenExpirationInstant: thirtyDaysAhead(),
    applicationId: f.realm.applicationA,
  }));
  f.answer('issuer.getPublicKeys', () => ({ publicKeys: { k: 'PEM' } }));
  f.answer('issuer.refresh', () => ({
    token: accessToken,
    refreshToken: 'r2',
    refreshTokenId: 'rid',
    tokenExpirationInstant: 1n,
    refreshTokenExpirationInstant: thirtyDaysAhead(),
    applicationId: f.realm.applicationA,
  }));
  f.answer('issuer.vend', () => ({ token: 'v' }));
  f.answer('session.get', () => ({ record: undefined }));
  f.answer('session.listByUser', () => ({ records: [] }));
  f.answer('session.revoke', () => ({ revokedCount: 1, revocation: undefined }));
});
afterAll(() => f.close());
beforeEach(() => {
  f.calls.length = 0;
});

const USER = '858a4b01-62c8-4c2f-bfa7-6d018833bea7';
const TOKEN_ID = '3c219e58-ed0e-4b18-ad48-f4f92793ae32';
/**
 * An access token as the issuer answers it. The gateway never reads it: the cookie's Max-Age
 * comes from the answer's refresh-token expiration, so a token that is not even a JWT will do.
 */
const accessToken = 'not-a-jwt';
/** The refresh token's expiration 30 days after the gateway's clock (the realm's refresh TTL). */
const thirtyDaysAhead = () => BigInt(f.clock.now() + 2_592_000_000);

const admin = () => ({ authorization: f.realm.keys.admin });
const inject = (options: InjectOptions) => f.gateway.inject(options);
/** The one backend request the route made. */
function sent(): unknown {
  expect(f.calls).toHaveLength(1);
  return f.calls[0]?.request;
}
function expectError(response: LightMyRequestResponse, status: number, body?: unknown): void {
  expect(response.statusCode).toBe(status);
  if (body === undefined) {
    expect(response.body).toBe('');
  } else {
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.json()).toMatchObject(body as object);
  }
}
const fieldError = (field: string, code: string) => ({
  fieldErrors: { [field]: [expect.objectContaining({ code })] },
});
const generalError = (code: string) => ({ generalErrors: [expect.objectContaining({ code })] });

describe('authentication comes first', () => {
  const unauthenticated: readonly (readonly [string, InjectOptions])[] = [
    ['issue without a JWT', { method: 'GET', url: '/api/jwt/issue?applicationId=bad' }],
    [
      'issue with an API key instead of a JWT',
      { method: 'GET', url: '/api/jwt/issue?applicationId=bad', headers: { authorization: 'key' } },
    ],
    ['validate without a JWT', { method: 'GET', url: '/api/jwt/validate' }],
    [
      'vend without a key',
      { method: 'POST', url: '/api/jwt/vend', payload: { timeToLiveInSeconds: -1 } },
    ],
    [
      'vend with a JWT',
      {
        method: 'POST',
        url: '/api/jwt/vend',
        headers: { authorization: 'Bearer a.b.c' },
        payload: {},
      },
    ],
    ['retrieve without a key', { method: 'GET', url: '/api/jwt/refresh/not-a-uuid' }],
    ['list without a key', { method: 'GET', url: '/api/jwt/refresh?userId=x' }],
    ['revoke without credentials', { method: 'DELETE', url: '/api/jwt/refresh' }],
    [
      'Basic without a password',
      {
        method: 'GET',
        url: `/api/jwt/refresh/${TOKEN_ID}`,
        headers: { authorization: `Basic ${Buffer.from('apikey').toString('base64')}` },
      },
    ],
    [
      'a key that cannot be a key (not printable ASCII)',
      {
        method: 'POST',
        url: '/api/jwt/vend',
        headers: { authorization: 'cl\u00e9\u0001' },
        payload: {},
      },
    ],
    [
      'Basic with a password that cannot be a key',
      {
        method: 'DELETE',
        url: `/api/jwt/refresh?userId=${USER}`,
        headers: {
          authorization: `Basic ${Buffer.from('apikey:\u00e9\u0002').toString('base64')}`,
        },
      },
    ],
  ];
  it.each(unauthenticated)('%s: 401, empty, no backend call', async (_label, options) => {
    expectError(await inject(options), 401);
    expect(f.calls).toEqual([]);
  });
});

describe('GET /api/jwt/issue', () => {
  const url = (query: string) => `/api/jwt/issue?${query}`;

  it('takes the JWT from Bearer or the access_token cookie; the tenant from the application', async () => {
    for (const headers of [{ authorization: 'Bearer jwt1' }, { cookie: 'access_token=jwt1' }]) {
      f.calls.length = 0;
      const response = await inject({
        method: 'GET',
        url: url(`applicationId=${f.realm.applicationA}&refreshToken=null`),
        headers,
      });
      expect(response.statusCode).toBe(200);
      expect(sent()).toEqual({
        tenantId: f.realm.tenantA,
        token: 'jwt1',
        applicationId: f.realm.applicationA,
        refreshToken: '',
      });
    }
  });

  it('the refresh_token cookie wins over the query', async () => {
    await inject({
      method: 'GET',
      url: url(`applicationId=${f.realm.applicationA}&refreshToken=fromQuery`),
      headers: { authorization: 'Bearer jwt1', cookie: 'refresh_token=fromCookie' },
    });
    expect(sent()).toMatchObject({ refreshToken: 'fromCookie' });
  });

  it('a missing or malformed applicationId is a 400 naming it', async () => {
    const headers = { authorization: 'Bearer jwt1' };
    for (const query of [
      'refreshToken=x',
      'applicationId=null&refreshToken=null',
      'applicationId=undefined',
    ]) {
      expectError(
        await inject({ method: 'GET', url: url(query), headers }),
        400,
        fieldError('applicationId', '[missing]applicationId'),
      );
    }
    expectError(
      await inject({ method: 'GET', url: url('applicationId=nope'), headers }),
      400,
      fieldError('applicationId', '[invalid]applicationId'),
    );
    expect(f.calls).toEqual([]);
  });

  it('X-FusionAuth-TenantId scopes the call; an unknown tenant is a 400', async () => {
    const query = url(`applicationId=${f.realm.applicationA}`);
    await inject({
      method: 'GET',
      url: query,
      headers: { authorization: 'Bearer j', 'x-fusionauth-tenantid': f.realm.tenantB },
    });
    expect(sent()).toMatchObject({ tenantId: f.realm.tenantB });
    f.calls.length = 0;
    const unknown = await inject({
      method: 'GET',
      url: query,
      headers: { authorization: 'Bearer j', 'x-fusionauth-tenantid': USER },
    });
    expectError(unknown, 400, fieldError('tenantId', '[invalid]tenantId'));
    expect(f.calls).toEqual([]);
  });
});

describe('POST /api/jwt/reconcile', () => {
  const base = () => ({
    applicationId: f.realm.applicationA,
    identityProviderId: f.realm.identityProvider.id,
  });

  it('data.token wins over the deprecated encodedJWT; presenter and device are forwarded', async () => {
    await inject({
      method: 'POST',
      url: '/api/jwt/reconcile',
      headers: { 'x-forwarded-for': '203.0.113.9, 10.0.0.1', 'user-agent': 'agent/1' },
      payload: {
        ...base(),
        data: { token: 'fromData' },
        encodedJWT: 'fromEncodedJWT',
        metaData: { device: { name: 'Laptop', type: 'LAPTOP', description: null } },
      },
    });
    expect(sent()).toEqual({
      tenantId: f.realm.tenantA,
      applicationId: f.realm.applicationA,
      identityProviderId: f.realm.identityProvider.id,
      encodedJwt: 'fromData',
      presenter: { ipAddress: '203.0.113.9', userAgent: 'agent/1' },
      device: {
        description: '',
        lastAccessedAddress: '',
        lastAccessedInstant: 0n,
        name: 'Laptop',
        type: 'LAPTOP',
      },
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('encodedJWT alone; the body ipAddress wins over X-Forwarded-For; no device', async () => {
    await inject({
      method: 'POST',
      url: '/api/jwt/reconcile',
      headers: { 'x-forwarded-for': '203.0.113.9' },
      payload: { ...base(), encodedJWT: 'legacy', ipAddress: '192.168.1.42' },
    });
    expect(sent()).toMatchObject({
      encodedJwt: 'legacy',
      presenter: { ipAddress: '192.168.1.42' },
      device: undefined,
    });
  });

  it('missing fields are 400 errors JSON', async () => {
    expectError(
      await inject({ method: 'POST', url: '/api/jwt/reconcile', payload: base() }),
      400,
      fieldError('data.token', '[missing]data.token'),
    );
    expectError(
      await inject({
        method: 'POST',
        url: '/api/jwt/reconcile',
        payload: { identityProviderId: 'x', data: { token: 't' } },
      }),
      400,
      fieldError('applicationId', '[missing]applicationId'),
    );
    expectError(
      await inject({
        method: 'POST',
        url: '/api/jwt/reconcile',
        headers: { 'content-type': 'application/json' },
        payload: '{"applicationId":',
      }),
      400,
      generalError('[invalid]'),
    );
    expect(f.calls).toEqual([]);
  });

  it('writes the login cookies', async () => {
    const response = await inject({
      method: 'POST',
      url: '/api/jwt/reconcile',
      payload: { ...base(), data: { token: 't' } },
    });
    expect(response.headers['set-cookie']).toEqual([
      `access_token=${accessToken}; Path=/; HttpOnly; SameSite=Lax`,
      'refresh_token=r; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax',
    ]);
  });
});

describe('GET /api/jwt/public-key', () => {
  const rows: readonly (readonly [string, unknown, unknown])[] = [
    ['', undefined, 'publicKeys'],
    ['?kid=undefined&applicationId=null', undefined, 'publicKeys'],
    ['?kid=k', { $case: 'keyId', value: 'k' }, 'publicKey'],
    ['?applicationId=app&kid=k', { $case: 'applicationId', value: 'app' }, 'publicKey'],
  ];
  it.each(rows)('%s', async (query, selector, member) => {
    const response = await inject({ method: 'GET', url: `/api/jwt/public-key${query}` });
    expect(Object.keys(response.json())).toEqual([member]);
    expect(sent()).toEqual({ selector });
  });
});

describe('POST /api/jwt/refresh', () => {
  it('the refresh_token cookie wins over the body; the rest is forwarded', async () => {
    await inject({
      method: 'POST',
      url: '/api/jwt/refresh',
      headers: {
        cookie: 'refresh_token=fromCookie; access_token=old',
        'x-fusionauth-tenantid': f.realm.tenantA,
        'user-agent': 'ua',
      },
      payload: { refreshToken: 'fromBody', token: 'old', timeToLiveInSeconds: 30 },
    });
    expect(sent()).toEqual({
      tenantId: f.realm.tenantA,
      refreshToken: 'fromCookie',
      timeToLiveSeconds: 30,
      presenter: { ipAddress: '127.0.0.1', userAgent: 'ua' },
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('a cookie alone, without any body, is enough', async () => {
    const response = await inject({
      method: 'POST',
      url: '/api/jwt/refresh',
      headers: { cookie: 'refresh_token=c' },
    });
    expect(response.statusCode).toBe(200);
    expect(sent()).toMatchObject({ refreshToken: 'c', tenantId: '', timeToLiveSeconds: 0 });
  });

  it('answers with FusionAuth cookies: session access_token, persistent refresh_token, Lax, no Secure over HTTP', async () => {
    const response = await inject({
      method: 'POST',
      url: '/api/jwt/refresh',
      payload: { refreshToken: 'r1' },
    });
    expect(response.json()).toEqual({
      token: accessToken,
      refreshToken: 'r2',
      refreshTokenId: 'rid',
    });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['set-cookie']).toEqual([
      `access_token=${accessToken}; Path=/; HttpOnly; SameSite=Lax`,
      'refresh_token=r2; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax',
    ]);
  });

  it("the refresh cookie's Max-Age is what the refresh token has left, as the answer says", async () => {
    const refreshCookie = async (expiration: bigint) => {
      f.answer('issuer.refresh', () => ({
        token: accessToken,
        refreshToken: 'r2',
        refreshTokenId: 'rid',
        tokenExpirationInstant: 1n,
        refreshTokenExpirationInstant: expiration,
        applicationId: f.realm.applicationA,
      }));
      const response = await inject({
        method: 'POST',
        url: '/api/jwt/refresh',
        payload: { refreshToken: 'r1' },
      });
      return (response.headers['set-cookie'] as string[])[1];
    };
    const now = BigInt(f.clock.now());
    // A Fixed session 20 days in: 10 days and a half second left, rounded up.
    expect(await refreshCookie(now + 864_000_500n)).toBe(
      'refresh_token=r2; Max-Age=864001; Path=/; HttpOnly; SameSite=Lax',
    );
    // Already past: the browser drops it at once.
    expect(await refreshCookie(now - 1000n)).toBe(
      'refresh_token=r2; Max-Age=0; Path=/; HttpOnly; SameSite=Lax',
    );
    // An answer that does not say (an older issuer): a session cookie, never a guess.
    expect(await refreshCookie(0n)).toBe('refresh_token=r2; Path=/; HttpOnly; SameSite=Lax');
    f.answer('issuer.refresh', () => ({
      token: accessToken,
      refreshToken: 'r2',
      refreshTokenId: 'rid',
      tokenExpirationInstant: 1n,
      refreshTokenExpirationInstant: thirtyDaysAhead(),
      applicationId: f.realm.applicationA,
    }));
  });

  it('no refresh token, or a bad timeToLiveInSeconds, is a 400 naming the field', async () => {
    for (const payload of [{}, { refreshToken: null }, { refreshToken: '' }]) {
      expectError(
        await inject({ method: 'POST', url: '/api/jwt/refresh', payload }),
        400,
        fieldError('refreshToken', '[blank]refreshToken'),
      );
    }
    expectError(
      await inject({
        method: 'POST',
        url: '/api/jwt/refresh',
        payload: { refreshToken: 'r', timeToLiveInSeconds: -5 },
      }),
      400,
      fieldError('timeToLiveInSeconds', '[invalid]timeToLiveInSeconds'),
    );
    expect(f.calls).toEqual([]);
  });
});

describe('GET /api/jwt/refresh', () => {
  it('by id: the tenant is optional; Basic credentials are forwarded as the key', async () => {
    f.answer('session.get', () => ({ record: undefined }));
    const basic = `Basic ${Buffer.from(`apikey:${f.realm.keys.admin}`).toString('base64')}`;
    await inject({
      method: 'GET',
      url: `/api/jwt/refresh/${TOKEN_ID}`,
      headers: { authorization: basic },
    });
    expect(f.calls[0]).toMatchObject({
      apiKey: f.realm.keys.admin,
      request: { id: TOKEN_ID, tenantId: '', token: '' },
    });
  });

  it('by id: a malformed id is a 400', async () => {
    expectError(
      await inject({ method: 'GET', url: '/api/jwt/refresh/nope', headers: admin() }),
      400,
      fieldError('tokenId', '[invalid]tokenId'),
    );
  });

  it('by user: userId is required (null/undefined are absent)', async () => {
    for (const query of ['', '?userId=null', '?userId=undefined']) {
      expectError(
        await inject({ method: 'GET', url: `/api/jwt/refresh${query}`, headers: admin() }),
        400,
        fieldError('userId', '[missing]userId'),
      );
    }
    expect(f.calls).toEqual([]);
  });

  const tenants: readonly (readonly [
    string,
    () => Record<string, string>,
    () => string | number,
  ])[] = [
    [
      'the header',
      () => ({ ...admin(), 'x-fusionauth-tenantid': f.realm.tenantB }),
      () => f.realm.tenantB,
    ],
    [
      'a tenant-locked key',
      () => ({ authorization: f.realm.keys.lockedToB }),
      () => f.realm.tenantB,
    ],
    [
      'a locked key and its own tenant',
      () => ({ authorization: f.realm.keys.lockedToB, 'x-fusionauth-tenantid': f.realm.tenantB }),
      () => f.realm.tenantB,
    ],
    ['an unlocked key and no header (three tenants)', admin, () => 400],
    [
      'a locked key naming another tenant',
      () => ({ authorization: f.realm.keys.lockedToB, 'x-fusionauth-tenantid': f.realm.tenantA }),
      () => 401,
    ],
    ['an unknown key and no header', () => ({ authorization: 'unknown' }), () => 401],
  ];
  it.each(tenants)('by user: the tenant from %s', async (_label, headers, expected) => {
    const response = await inject({
      method: 'GET',
      url: `/api/jwt/refresh?userId=${USER}`,
      headers: headers(),
    });
    const outcome = expected();
    if (outcome === 400) {
      expectError(response, 400, generalError('[TenantIdRequired]'));
      expect(f.calls).toEqual([]);
    } else if (outcome === 401) {
      expectError(response, 401);
      expect(f.calls).toEqual([]);
    } else {
      expect(sent()).toEqual({ userId: USER, applicationId: '', tenantId: outcome });
    }
  });
});

describe('DELETE /api/jwt/refresh', () => {
  const app = () => f.realm.applicationA;
  const headers = () => ({ ...admin(), 'x-fusionauth-tenantid': f.realm.tenantA });
  const selectors: readonly (readonly [string, () => InjectOptions, () => unknown])[] = [
    [
      '?token=',
      () => ({ url: '/api/jwt/refresh?token=a%2Bb' }),
      () => ({ $case: 'token', value: 'a+b' }),
    ],
    [
      '?userId=',
      () => ({ url: `/api/jwt/refresh?userId=${USER}` }),
      () => ({ $case: 'userId', value: USER }),
    ],
    [
      '?applicationId=',
      () => ({ url: `/api/jwt/refresh?applicationId=${app()}` }),
      () => ({ $case: 'applicationId', value: app() }),
    ],
    [
      '?userId=&applicationId=',
      () => ({ url: `/api/jwt/refresh?userId=${USER}&applicationId=${app()}` }),
      () => ({ $case: 'userApplication', value: { userId: USER, applicationId: app() } }),
    ],
    [
      'the client\u2019s revokeRefreshToken(token, null, undefined)',
      () => ({ url: '/api/jwt/refresh?token=t1&userId=null&applicationId=undefined' }),
      () => ({ $case: 'token', value: 't1' }),
    ],
    [
      'the client\u2019s revokeRefreshToken(null, userId, null)',
      () => ({ url: `/api/jwt/refresh?token=null&userId=${USER}&applicationId=null` }),
      () => ({ $case: 'userId', value: USER }),
    ],
    [
      '/{tokenId}',
      () => ({ url: `/api/jwt/refresh/${TOKEN_ID}` }),
      () => ({ $case: 'id', value: TOKEN_ID }),
    ],
    [
      '/{tokenId} wins over ?token=',
      () => ({ url: `/api/jwt/refresh/${TOKEN_ID}?token=t` }),
      () => ({ $case: 'id', value: TOKEN_ID }),
    ],
    [
      'a JSON body',
      () => ({ url: '/api/jwt/refresh', payload: { userId: USER, token: null } }),
      () => ({ $case: 'userId', value: USER }),
    ],
    [
      'a form body (token)',
      () => ({
        url: '/api/jwt/refresh',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'token=x%2By%2Fz',
      }),
      () => ({ $case: 'token', value: 'x+y/z' }),
    ],
    [
      'the query wins over the body',
      () => ({ url: '/api/jwt/refresh?token=q', payload: { token: 'b' } }),
      () => ({ $case: 'token', value: 'q' }),
    ],
  ];
  it.each(selectors)('%s', async (_label, options, selector) => {
    const request = options();
    const response = await inject({
      method: 'DELETE',
      ...request,
      headers: { ...headers(), ...request.headers },
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
    expect(sent()).toEqual({ tenantId: f.realm.tenantA, selector: selector(), ownerUserId: '' });
  });

  it('no selector at all is a 400 [invalid] general error', async () => {
    for (const url of [
      '/api/jwt/refresh',
      '/api/jwt/refresh?token=null&userId=undefined&applicationId=',
    ]) {
      expectError(
        await inject({ method: 'DELETE', url, headers: headers() }),
        400,
        generalError('[invalid]'),
      );
    }
    expect(f.calls).toEqual([]);
  });

  it('the tenant of ?applicationId= is the application\u2019s; a user needs a tenant', async () => {
    await inject({
      method: 'DELETE',
      url: `/api/jwt/refresh?applicationId=${app()}`,
      headers: admin(),
    });
    expect(sent()).toMatchObject({ tenantId: f.realm.tenantA });
    f.calls.length = 0;
    expectError(
      await inject({ method: 'DELETE', url: `/api/jwt/refresh?userId=${USER}`, headers: admin() }),
      400,
      generalError('[TenantIdRequired]'),
    );
    expect(f.calls).toEqual([]);
  });

  it('a JWT may revoke by id or token (its subject must own it), never a user or an application', async () => {
    f.validateWith(async (_token, options) => ({
      valid: true,
      claims: { sub: USER },
      kid: 'k',
      header: {},
      tenantId: options?.tenantId ?? 'T',
    }));
    await inject({
      method: 'DELETE',
      url: '/api/jwt/refresh?token=t',
      headers: { cookie: 'access_token=jwt' },
    });
    expect(f.calls[0]).toEqual({
      method: 'session.revoke',
      apiKey: f.realm.keys.plain,
      requestId: expect.any(String),
      request: { tenantId: 'T', selector: { $case: 'token', value: 't' }, ownerUserId: USER },
    });
    f.calls.length = 0;
    for (const url of [
      `/api/jwt/refresh?userId=${USER}`,
      `/api/jwt/refresh?applicationId=${app()}`,
    ]) {
      expectError(
        await inject({ method: 'DELETE', url, headers: { authorization: 'Bearer jwt' } }),
        401,
      );
    }
    expect(f.calls).toEqual([]);
  });

  it('an API key wins over an access_token cookie', async () => {
    await inject({
      method: 'DELETE',
      url: `/api/jwt/refresh?userId=${USER}`,
      headers: { ...headers(), cookie: 'access_token=jwt' },
    });
    expect(f.calls[0]).toMatchObject({ apiKey: f.realm.keys.admin, request: { ownerUserId: '' } });
  });
});

describe('POST /api/jwt/vend', () => {
  it('forwards claims as JSON, the key id, the TTL and the caller\u2019s key', async () => {
    await inject({
      method: 'POST',
      url: '/api/jwt/vend',
      headers: { ...admin(), 'x-fusionauth-tenantid': f.realm.tenantA },
      payload: {
        claims: { n: 1, nested: { a: [true, null] } },
        keyId: 'a-es256',
        timeToLiveInSeconds: 60,
      },
    });
    expect(f.calls[0]).toEqual({
      method: 'issuer.vend',
      apiKey: f.realm.keys.admin,
      requestId: expect.any(String),
      request: {
        tenantId: f.realm.tenantA,
        claimsJson: '{"n":1,"nested":{"a":[true,null]}}',
        keyId: 'a-es256',
        timeToLiveSeconds: 60,
      },
    });
  });

  it('everything is optional (no body, nulls); the tenant is left to the issuer when unknown', async () => {
    for (const payload of [undefined, { claims: null, keyId: null, timeToLiveInSeconds: null }]) {
      f.calls.length = 0;
      await inject({
        method: 'POST',
        url: '/api/jwt/vend',
        headers: admin(),
        ...(payload ? { payload } : {}),
      });
      expect(sent()).toEqual({ tenantId: '', claimsJson: '{}', keyId: '', timeToLiveSeconds: 0 });
    }
  });

  it('bad input is a 400 naming the field', async () => {
    const rows: readonly (readonly [unknown, string])[] = [
      [{ timeToLiveInSeconds: 0 }, 'timeToLiveInSeconds'],
      [{ timeToLiveInSeconds: 'soon' }, 'timeToLiveInSeconds'],
      [{ claims: 'x' }, 'claims'],
      [{ claims: [1] }, 'claims'],
    ];
    for (const [payload, field] of rows) {
      expectError(
        await inject({
          method: 'POST',
          url: '/api/jwt/vend',
          headers: admin(),
          payload: payload as object,
        }),
        400,
        fieldError(field, `[invalid]${field}`),
      );
    }
    expect(f.calls).toEqual([]);
  });
});

describe('the OpenAPI document', () => {
  it('describes every FusionAuth route, its parameters and its answers', async () => {
    const document = f.gateway.swagger() as unknown as {
      paths: Record<
        string,
        Record<
          string,
          {
            operationId?: string;
            description?: string;
            parameters?: { name: string; description?: string }[];
            responses: Record<string, { description?: string }>;
          }
        >
      >;
    };
    const operations = Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/api/jwt/'))
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({
          at: `${method} ${path}`,
          operation,
        })),
      );
    expect(operations.map((o) => o.at).sort()).toEqual([
      'delete /api/jwt/refresh',
      'delete /api/jwt/refresh/{tokenId}',
      'get /api/jwt/issue',
      'get /api/jwt/public-key',
      'get /api/jwt/refresh',
      'get /api/jwt/refresh/{tokenId}',
      'get /api/jwt/validate',
      'post /api/jwt/reconcile',
      'post /api/jwt/refresh',
      'post /api/jwt/vend',
    ]);
    for (const { at, operation } of operations) {
      expect(operation.operationId, at).toEqual(expect.any(String));
      expect(operation.description, at).toEqual(expect.any(String));
      for (const parameter of operation.parameters ?? [])
        expect(parameter.description, `${at} ${parameter.name}`).toEqual(expect.any(String));
      for (const [code, answer] of Object.entries(operation.responses))
        expect(answer.description, `${at} ${code}`).toEqual(expect.any(String));
    }
  });
});
