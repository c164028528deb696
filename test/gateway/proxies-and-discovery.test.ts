import type { Realm, TenantConfig } from '@tessera/config';
import type { InjectOptions } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { readGatewayEnv } from '../../services/gateway/src/config.js';
import {
  type FakeBackendGateway,
  type FakeBackendGatewayOptions,
  startFakeBackendGateway,
} from './support-fusionauth.js';

/**
 * Security finding 12, the gateway's part: what a client's own headers may decide. A forged
 * Host must not reach a cacheable discovery document, and X-Forwarded-Proto counts (for
 * Secure cookies) only when a proxy the operator trusts sent it.
 */

const started: FakeBackendGateway[] = [];
afterAll(async () => {
  for (const f of started) await f.close();
});

async function gateway(options: FakeBackendGatewayOptions = {}): Promise<FakeBackendGateway> {
  const f = await startFakeBackendGateway(options);
  started.push(f);
  f.answer('issuer.getJwks', () => ({ jwksJson: '{"keys":[{"kty":"EC","alg":"ES256"}]}' }));
  f.answer('issuer.refresh', () => ({
    token: 'h.e30.s',
    refreshToken: 'r2',
    refreshTokenId: 'rid',
    tokenExpirationInstant: 1n,
    refreshTokenExpirationInstant: BigInt(Date.now() + 3_600_000),
    applicationId: 'A',
  }));
  return f;
}

/** The realm with every tenant's issuer replaced. */
const withIssuer =
  (issuer: string) =>
  (realm: Realm): Realm => ({
    ...realm,
    tenants: new Map(
      [...realm.tenants].map(([id, tenant]): [string, TenantConfig] => [id, { ...tenant, issuer }]),
    ),
  });

const FORGED_HOST = 'attacker.example';

describe('security finding 12 — the discovery document ignores a forged Host', () => {
  const discover = (f: FakeBackendGateway, headers: Record<string, string> = {}) =>
    f.gateway.inject({
      method: 'GET',
      url: '/.well-known/openid-configuration',
      headers: { host: FORGED_HOST, ...headers },
    });

  it('finding 12: builds jwks_uri from GATEWAY_PUBLIC_URL when it is set', async () => {
    const f = await gateway({ publicUrl: 'https://auth.example.com/', realm: withIssuer('urn:x') });
    const response = await discover(f);
    expect(response.statusCode).toBe(200);
    expect(response.json().jwks_uri).toBe('https://auth.example.com/.well-known/jwks.json');
    expect(response.headers['cache-control']).toBeUndefined();
  });

  it("finding 12: builds jwks_uri from the tenant's https issuer when no public URL is set", async () => {
    const f = await gateway({ realm: withIssuer('https://id.example.org/tenant-a') });
    const response = await discover(f, { 'x-forwarded-host': FORGED_HOST });
    expect(response.json().jwks_uri).toBe('https://id.example.org/tenant-a/.well-known/jwks.json');
    expect(response.body).not.toContain(FORGED_HOST);
  });

  it('finding 12: falls back to the Host only with Vary: Host and Cache-Control: no-store', async () => {
    const f = await gateway({ realm: withIssuer('http://plain.example') });
    const response = await discover(f);
    expect(response.json().jwks_uri).toBe(`http://${FORGED_HOST}/.well-known/jwks.json`);
    expect(response.headers.vary).toMatch(/\bHost\b/i);
    expect(response.headers['cache-control']).toBe('no-store');
  });
});

describe('security finding 12 — Secure login cookies behind a trusted proxy', () => {
  const refresh = (f: FakeBackendGateway, options: Partial<InjectOptions> = {}) =>
    f.gateway.inject({
      method: 'POST',
      url: '/api/jwt/refresh',
      payload: { refreshToken: 'r1' },
      ...options,
    });
  const cookiesOf = (headers: Record<string, unknown>) => {
    const cookies = headers['set-cookie'];
    return (Array.isArray(cookies) ? cookies : [cookies]).map(String);
  };
  const forwardedHttps = { 'x-forwarded-proto': 'https' };

  it('finding 12: X-Forwarded-Proto from an untrusted peer does not make cookies Secure', async () => {
    const untrusting = await gateway();
    const response = await refresh(untrusting, {
      headers: forwardedHttps,
      remoteAddress: '10.1.2.3',
    });
    expect(response.statusCode).toBe(200);
    for (const cookie of cookiesOf(response.headers)) expect(cookie).not.toMatch(/Secure/);

    const trustingAnother = await gateway({ trustedProxies: ['192.168.0.0/16'] });
    const other = await refresh(trustingAnother, {
      headers: forwardedHttps,
      remoteAddress: '10.1.2.3',
    });
    for (const cookie of cookiesOf(other.headers)) expect(cookie).not.toMatch(/Secure/);
  });

  it('finding 12: X-Forwarded-Proto: https from a trusted proxy makes cookies Secure', async () => {
    const f = await gateway({ trustedProxies: ['10.0.0.0/8'] });
    const response = await refresh(f, { headers: forwardedHttps, remoteAddress: '10.1.2.3' });
    expect(response.statusCode).toBe(200);
    const cookies = cookiesOf(response.headers);
    expect(cookies).toHaveLength(2);
    for (const cookie of cookies) expect(cookie).toMatch(/; Secure/);
    const plain = await refresh(f, { remoteAddress: '10.1.2.3' });
    for (const cookie of cookiesOf(plain.headers)) expect(cookie).not.toMatch(/Secure/);
  });

  it('finding 12: GATEWAY_SECURE_COOKIES=always marks cookies Secure over plain HTTP, never never does', async () => {
    const always = await gateway({ secureCookies: 'always' });
    for (const cookie of cookiesOf((await refresh(always)).headers))
      expect(cookie).toMatch(/; Secure/);
    const never = await gateway({ secureCookies: 'never', trustedProxies: ['10.0.0.0/8'] });
    const response = await refresh(never, { headers: forwardedHttps, remoteAddress: '10.1.2.3' });
    for (const cookie of cookiesOf(response.headers)) expect(cookie).not.toMatch(/Secure/);
  });

  it('finding 12: reads the settings from the environment, refusing entries that are no address', () => {
    const base = { TESSERA_CONFIG: 'realm.yaml', GATEWAY_API_KEY: 'k' };
    const defaults = readGatewayEnv(base);
    expect(defaults.GATEWAY_TRUSTED_PROXIES).toEqual([]);
    expect(defaults.GATEWAY_SECURE_COOKIES).toBe('auto');
    const set = readGatewayEnv({
      ...base,
      GATEWAY_TRUSTED_PROXIES: ' 10.0.0.1, fd00::/8 ,loopback',
      GATEWAY_SECURE_COOKIES: 'always',
    });
    expect(set.GATEWAY_TRUSTED_PROXIES).toEqual(['10.0.0.1', 'fd00::/8', 'loopback']);
    expect(set.GATEWAY_SECURE_COOKIES).toBe('always');
    for (const bad of ['*', 'proxy.example', '10.0.0.0/33', 'true']) {
      expect(() => readGatewayEnv({ ...base, GATEWAY_TRUSTED_PROXIES: bad }), bad).toThrow(
        /GATEWAY_TRUSTED_PROXIES/,
      );
    }
    expect(() => readGatewayEnv({ ...base, GATEWAY_SECURE_COOKIES: 'sometimes' })).toThrow(
      /GATEWAY_SECURE_COOKIES/,
    );
  });
});
