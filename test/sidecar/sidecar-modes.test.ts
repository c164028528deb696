import { Metadata } from '@grpc/grpc-js';
import type { issuerV1, sessionV1 } from '@tessera/contracts';
import { commonV1, envoyAuthV3, envoyTypeV3 } from '@tessera/contracts';
import { readErrorDetails, type UnaryMethod, unaryCall } from '@tessera/grpc-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../services/sidecar/src/decision/policy.js';
import { type Stack, startSessionFor, startStack } from '../support/stack.js';
import { checkRequest, type RunningSidecar, startSidecar, until } from './support.js';

let s: Stack;
let sidecar: RunningSidecar;

const policy = parsePolicy(
  {
    rules: [
      { pathPrefix: '/billing', methods: ['POST'], scopes: ['billing:write'] },
      { pathPrefix: '/apps' },
    ],
  },
  'test policy',
);

beforeAll(async () => {
  s = await startStack();
  sidecar = await startSidecar(s, {
    issuerAddress: `127.0.0.1:${portOf(s.issuerClient)}`,
    sessionAddress: `127.0.0.1:${portOf(s.sessionClient)}`,
    policy: () => policy,
    claimHeaders: [
      { claim: 'email', header: 'x-user-email' },
      { claim: 'sid', header: 'x-session' },
    ],
    stripAuthorization: true,
  });
  await sidecar.app.validator.ready;
});
afterAll(async () => {
  await sidecar?.stop();
  await s?.close();
});

function portOf(client: { getChannel(): { getTarget(): string } }): string {
  return client.getChannel().getTarget().split(':').at(-1) ?? '';
}

const startSession = (userId: string) => startSessionFor(s, userId);

const revoke = (refreshTokenId: string) =>
  s.call<sessionV1.RevokeRequest, sessionV1.RevokeResponse>(s.sessionClient, 'revoke', {
    tenantId: s.realm.tenantA,
    selector: { $case: 'id', value: refreshTokenId },
    ownerUserId: '',
  });

function headersOf(response: Awaited<ReturnType<RunningSidecar['check']>>): Record<string, string> {
  const http = response.httpResponse;
  const list =
    http?.$case === 'okResponse' || http?.$case === 'deniedResponse' ? http.value.headers : [];
  return Object.fromEntries(list.map((h) => [h.header?.key ?? '', h.header?.value ?? '']));
}

function denied(response: Awaited<ReturnType<RunningSidecar['check']>>) {
  if (response.httpResponse?.$case !== 'deniedResponse') throw new Error('expected a denial');
  return {
    status: response.httpResponse.value.status?.code,
    rpc: response.status?.code,
    challenge: headersOf(response)['www-authenticate'],
  };
}

async function auth(
  path: string,
  init: { method?: string; token?: string; cookie?: string; headers?: Record<string, string> } = {},
) {
  return fetch(`${sidecar.httpUrl}/auth`, {
    headers: {
      'x-original-method': init.method ?? 'GET',
      'x-original-uri': path,
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.cookie ? { cookie: init.cookie } : {}),
      ...init.headers,
    },
  });
}

describe('sidecar: Envoy ext_authz Check', () => {
  it('allows a valid token with identity headers for the upstream, removing what it does not set', async () => {
    const { token } = await startSession('envoy-user');
    const response = await sidecar.check(
      checkRequest('GET', '/apps/x?y=1', {
        authorization: `Bearer ${token}`,
        'x-tessera-roles': 'admin',
      }),
    );
    expect(response.status?.code).toBe(0);
    expect(response.httpResponse?.$case).toBe('okResponse');
    const headers = headersOf(response);
    expect(headers).toMatchObject({
      'x-tessera-subject': 'envoy-user',
      'x-tessera-tenant': s.realm.tenantA,
      'x-tessera-application': s.realm.applicationA,
    });
    expect(headers['x-session']).toMatch(/.+/);
    if (response.httpResponse?.$case !== 'okResponse') throw new Error('unreachable');
    // The client's own x-tessera-roles must not reach the upstream: the token has no roles.
    expect(response.httpResponse.value.headersToRemove).toEqual(
      expect.arrayContaining(['x-tessera-roles', 'x-user-email', 'authorization']),
    );
  });

  it('answers each repeated token with its own identity, in both modes, until it is revoked', async () => {
    // Repeat tokens are answered from answers kept per token (built and encoded once): tokens
    // interleaved must never get each other's answer, and a kept answer must not outlive a
    // revocation.
    const first = await startSession('repeat-one');
    const second = await startSession('repeat-two');
    const subjectOf = async (token: string) =>
      headersOf(
        await sidecar.check(checkRequest('GET', '/apps/x', { authorization: `Bearer ${token}` })),
      )['x-tessera-subject'];
    const httpSubjectOf = async (token: string) =>
      (await auth('/apps/x', { token })).headers.get('x-tessera-subject');
    for (let round = 0; round < 3; round++) {
      expect(await subjectOf(first.token)).toBe('repeat-one');
      expect(await subjectOf(second.token)).toBe('repeat-two');
      expect(await httpSubjectOf(second.token)).toBe('repeat-two');
      expect(await httpSubjectOf(first.token)).toBe('repeat-one');
    }
    await revoke(first.refreshTokenId);
    await until(async () => {
      const response = await sidecar.check(
        checkRequest('GET', '/apps/x', { authorization: `Bearer ${first.token}` }),
      );
      return (
        response.httpResponse?.$case === 'deniedResponse' &&
        (denied(response).challenge ?? '').includes('REVOKED')
      );
    }, 'revoked repeat token denied');
    expect((await auth('/apps/x', { token: first.token })).status).toBe(401);
    expect(await subjectOf(second.token)).toBe('repeat-two');
  });

  it('reads the token from header_map (raw_value too) when Envoy encodes raw headers', async () => {
    const { token } = await startSession('envoy-raw');
    const request = envoyAuthV3.CheckRequest.fromPartial({
      attributes: {
        request: {
          http: {
            method: 'GET',
            path: '/apps/x',
            headerMap: {
              headers: [
                { key: ':path', value: '/apps/x' },
                { key: 'Authorization', rawValue: Buffer.from(`Bearer ${token}`, 'latin1') },
              ],
            },
          },
        },
      },
    });
    const response = await sidecar.check(request);
    expect(response.status?.code).toBe(0);
    expect(headersOf(response)['x-tessera-subject']).toBe('envoy-raw');
  });

  it('denies a missing, malformed, expired or revoked token with 401 and an RFC 6750 challenge', async () => {
    expect(denied(await sidecar.check(checkRequest('GET', '/', {})))).toEqual({
      status: envoyTypeV3.StatusCode.Unauthorized,
      rpc: 16,
      challenge: 'Bearer',
    });
    const garbage = denied(
      await sidecar.check(checkRequest('GET', '/', { authorization: 'Bearer not.a.token' })),
    );
    expect(garbage.status).toBe(envoyTypeV3.StatusCode.Unauthorized);
    expect(garbage.challenge).toBe(
      'Bearer error="invalid_token", error_description="the token is not valid (MALFORMED)"',
    );

    const { token, refreshTokenId } = await startSession('envoy-revoked');
    const start = s.clock.now();
    try {
      s.clock.advance((3600 + 120) * 1000);
      // The jump makes revocations look stale (fail-closed: 503) until the next heartbeat.
      await until(async () => {
        const response = await sidecar.check(
          checkRequest('GET', '/', { authorization: `Bearer ${token}` }),
        );
        return (denied(response).challenge ?? '').includes('(EXPIRED)');
      }, 'expired token denied with 401');
    } finally {
      s.clock.set(start);
    }
    await revoke(refreshTokenId);
    await until(async () => {
      const response = await sidecar.check(
        checkRequest('GET', '/', { authorization: `Bearer ${token}` }),
      );
      return (
        response.httpResponse?.$case === 'deniedResponse' &&
        (denied(response).challenge ?? '').includes('REVOKED')
      );
    }, 'revoked token denied');
  });

  it('denies with 403 insufficient_scope when the route policy is not met', async () => {
    const { token } = await startSession('envoy-policy');
    const response = denied(
      await sidecar.check(
        checkRequest('POST', '/billing/invoices', { authorization: `Bearer ${token}` }),
      ),
    );
    expect(response).toEqual({
      status: envoyTypeV3.StatusCode.Forbidden,
      rpc: 7,
      challenge:
        'Bearer error="insufficient_scope", error_description="scope billing:write required"',
    });
    // Dot segments and repeated slashes do not walk around the rule.
    expect(
      denied(
        await sidecar.check(
          checkRequest('POST', '/public/..//billing/x', { authorization: `Bearer ${token}` }),
        ),
      ).status,
    ).toBe(envoyTypeV3.StatusCode.Forbidden);
    // Another method, or a path that only starts with the same letters, is not the rule's.
    for (const [method, path] of [
      ['GET', '/billing/invoices'],
      ['POST', '/billingX'],
    ] as const) {
      const other = await sidecar.check(
        checkRequest(method, path, { authorization: `Bearer ${token}` }),
      );
      expect(other.httpResponse?.$case).toBe('okResponse');
    }
  });
});

describe('sidecar: auth-request mode (HTTP)', () => {
  it('answers 200 with identity headers, from a Bearer token or the access_token cookie', async () => {
    const { token } = await startSession('http-user');
    for (const presented of [{ token }, { cookie: `other=1; access_token=${token}` }]) {
      const response = await auth('/apps/x', presented);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-tessera-subject')).toBe('http-user');
      expect(response.headers.get('x-tessera-tenant')).toBe(s.realm.tenantA);
    }
  });

  it('answers 401 with the challenge, and 403 for the policy from X-Forwarded-* too', async () => {
    const missing = await auth('/');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    const bad = await auth('/', { token: 'a.b.c' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);

    const { token } = await startSession('http-policy');
    const traefik = await fetch(`${sidecar.httpUrl}/auth`, {
      headers: {
        authorization: `Bearer ${token}`,
        'x-forwarded-method': 'POST',
        'x-forwarded-uri': '/billing',
      },
    });
    expect(traefik.status).toBe(403);
    expect(traefik.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope"/);
    // Envoy's http_service: the original method and path under the /auth prefix.
    const envoyHttp = await fetch(`${sidecar.httpUrl}/auth/billing/x`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(envoyHttp.status).toBe(403);
  });
});

describe('sidecar: the HTTP listener', () => {
  it('answers unknown routes 404 in JSON, probes to HEAD, and a check whatever body it carries', async () => {
    const unknown = await fetch(`${sidecar.httpUrl}/nope?x=1`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      message: 'Route GET:/nope?x=1 not found',
      error: 'Not Found',
      statusCode: 404,
    });
    // Only /auth takes any method; the probes and FusionAuth's validate are GET (and HEAD).
    expect((await fetch(`${sidecar.httpUrl}/readyz`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${sidecar.httpUrl}/authx`)).status).toBe(404);
    const head = await fetch(`${sidecar.httpUrl}/readyz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const healthz = await fetch(`${sidecar.httpUrl}/healthz`);
    expect(healthz.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await healthz.json()).toEqual({ status: 'ok' });

    const { token } = await startSession('http-body');
    const posted = await fetch(`${sidecar.httpUrl}/auth/apps/x?y=1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(256 * 1024, 1),
    });
    expect(posted.status).toBe(200);
    expect(posted.headers.get('x-tessera-subject')).toBe('http-body');
    expect(posted.headers.get('cache-control')).toBe('no-store');
    expect(await posted.text()).toBe('');
  });
});

describe('sidecar: local Validate for the application', () => {
  const validate = (request: Partial<issuerV1.ValidateRequest>) =>
    unaryCall(
      (
        sidecar.issuer.validate as UnaryMethod<issuerV1.ValidateRequest, issuerV1.ValidateResponse>
      ).bind(sidecar.issuer),
      { token: '', tenantId: '', audience: '', ...request },
      { deadlineMs: 5000, metadata: new Metadata() },
    );

  it("answers the issuer's Validate contract on localhost, without an API key", async () => {
    const { token } = await startSession('validate-user');
    const valid = await validate({ token });
    expect(valid).toMatchObject({ valid: true, tenantId: s.realm.tenantA });
    expect(JSON.parse(valid.claimsJson)).toMatchObject({ sub: 'validate-user' });
    expect(await validate({ token, tenantId: s.realm.tenantB })).toMatchObject({
      valid: false,
      reason: commonV1.ValidationReason.VALIDATION_REASON_UNKNOWN_KID,
    });
    const refused = await validate({ token: '' }).catch((error: unknown) =>
      readErrorDetails(error),
    );
    expect(refused).toMatchObject({ reason: 'INVALID_ARGUMENT' });
    const unknown = await validate({ token, tenantId: 'no-such-tenant' }).catch((error: unknown) =>
      readErrorDetails(error),
    );
    expect(unknown).toMatchObject({ reason: 'TENANT_NOT_FOUND' });
  });

  it("answers FusionAuth's GET /api/jwt/validate", async () => {
    const { token } = await startSession('fa-user');
    const ok = await fetch(`${sidecar.httpUrl}/api/jwt/validate`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ jwt: { sub: 'fa-user' } });
    const bad = await fetch(`${sidecar.httpUrl}/api/jwt/validate`, {
      headers: { authorization: 'Bearer x.y.z' },
    });
    expect(bad.status).toBe(401);
    expect(await bad.text()).toBe('');
  });

  it('publishes decisions by reason, cache hit ratio, key-set revision and revocation lag', async () => {
    const text = await (await fetch(`${sidecar.httpUrl}/metrics`)).text();
    expect(text).toMatch(/tessera_sidecar_decisions_total\{mode="envoy",reason="ALLOWED"\} \d+/);
    expect(text).toMatch(
      /tessera_sidecar_decisions_total\{mode="auth-request",reason="MISSING_TOKEN"\} \d+/,
    );
    expect(text).toMatch(
      /tessera_sidecar_cache_hit_ratio 0\.\d+|tessera_sidecar_cache_hit_ratio [01]/,
    );
    expect(text).toMatch(/tessera_sidecar_key_set_revision \d+/);
    expect(text).toMatch(/tessera_sidecar_revocation_lag_seconds \d/);
    expect(text).toMatch(/tessera_sidecar_revocations_stale 0/);
    expect((await fetch(`${sidecar.httpUrl}/readyz`)).status).toBe(200);
    expect(await sidecar.health()).toBe('SERVING');
  });
});
