import type { issuerV1 } from '@tessera/contracts';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, type IssuerHarness, startIssuer } from './support/issuer-harness.js';

let h: IssuerHarness;
beforeAll(async () => {
  h = await startIssuer();
});
afterAll(() => h.close());

const vend = (request: Partial<issuerV1.VendRequest>, key = h.realm.keys.admin) =>
  h.call<issuerV1.VendRequest, issuerV1.VendResponse>(
    'vend',
    { tenantId: h.realm.tenantA, claimsJson: '', keyId: '', timeToLiveSeconds: 0, ...request },
    key,
  );

describe('Vend', () => {
  it('signs the caller claims with FusionAuth vend semantics', async () => {
    const { token } = await vend({
      claimsJson: JSON.stringify({
        sub: 'u1',
        roles: ['a'],
        exp: 1,
        iat: 2,
        amr: ['pwd'],
        cnf: { x: 1 },
      }),
    });
    const { header, payload } = decodeJwt(token);
    expect(header).toMatchObject({ alg: 'ES256', kid: 'a-es256', typ: 'JWT' });
    const now = Math.floor(h.clock.now() / 1000);
    expect(payload).toMatchObject({
      sub: 'u1',
      roles: ['a'],
      iat: now,
      exp: now + 600,
      amr: ['none'],
    });
    expect(payload.iss).toBe(h.realm.issuerA);
    expect(payload).not.toHaveProperty('cnf');
    expect(payload.jti).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('verifies with the published JWKS', async () => {
    const { token } = await vend({ claimsJson: '{"sub":"u2"}' });
    const { jwksJson } = await h.call<issuerV1.GetJwksRequest, issuerV1.GetJwksResponse>(
      'getJwks',
      { tenantId: '' },
    );
    const { payload } = await jwtVerify(token, createLocalJWKSet(JSON.parse(jwksJson)), {
      currentDate: new Date(h.clock.now()),
    });
    expect(payload.sub).toBe('u2');
  });

  it('keeps a caller-set issuer (FusionAuth lets vend set iss)', async () => {
    const { token } = await vend({ claimsJson: '{"iss":"piedpiper.com"}' });
    expect(decodeJwt(token).payload.iss).toBe('piedpiper.com');
  });

  it("refuses an iss that names another tenant's issuer", async () => {
    const error = await h.fail(
      'vend',
      {
        tenantId: h.realm.tenantA,
        claimsJson: JSON.stringify({ iss: h.realm.issuerB }),
        keyId: '',
        timeToLiveSeconds: 0,
      },
      h.realm.keys.admin,
    );
    expect(error).toMatchObject({ reason: 'INVALID_ARGUMENT', field: 'claims_json' });
  });

  it('honours a TTL up to the tenant maximum and refuses more', async () => {
    const { token } = await vend({ timeToLiveSeconds: 300 });
    const { payload } = decodeJwt(token);
    expect(Number(payload.exp) - Number(payload.iat)).toBe(300);
    const tooLong = await h.fail(
      'vend',
      { tenantId: h.realm.tenantA, claimsJson: '', keyId: '', timeToLiveSeconds: 86_401 },
      h.realm.keys.admin,
    );
    expect(tooLong).toMatchObject({
      reason: 'INVALID_ARGUMENT',
      field: 'time_to_live_seconds',
      metadata: { maximum: '86400' },
    });
    const negative = await h.fail(
      'vend',
      { tenantId: h.realm.tenantA, claimsJson: '', keyId: '', timeToLiveSeconds: -5 },
      h.realm.keys.admin,
    );
    expect(negative).toMatchObject({ reason: 'INVALID_ARGUMENT', field: 'time_to_live_seconds' });
  });

  it('signs with a requested next key, never with a retired or foreign one', async () => {
    const { token } = await vend({ keyId: 'a-rs256' });
    expect(decodeJwt(token).header).toMatchObject({ alg: 'RS256', kid: 'a-rs256' });
    for (const keyId of ['a-eddsa', 'b-es256', 'nope']) {
      const error = await h.fail(
        'vend',
        { tenantId: h.realm.tenantA, claimsJson: '', keyId, timeToLiveSeconds: 0 },
        h.realm.keys.admin,
      );
      expect(error, keyId).toMatchObject({ reason: 'KEY_NOT_FOUND', field: 'key_id' });
    }
  });

  it.each([
    ['not JSON', '{', 'INVALID_ARGUMENT'],
    ['an array', '[1]', 'INVALID_ARGUMENT'],
    ['a string', '"x"', 'INVALID_ARGUMENT'],
    ['null', 'null', 'INVALID_ARGUMENT'],
    [
      'too many claims',
      JSON.stringify(Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`c${i}`, i]))),
      'LIMIT_EXCEEDED',
    ],
    ['too deep', `${'{"a":'.repeat(12)}1${'}'.repeat(12)}`, 'LIMIT_EXCEEDED'],
    ['too large', JSON.stringify({ big: 'x'.repeat(70_000) }), 'LIMIT_EXCEEDED'],
  ])('refuses claims that are %s', async (_name, claimsJson, reason) => {
    const error = await h.fail(
      'vend',
      { tenantId: h.realm.tenantA, claimsJson, keyId: '', timeToLiveSeconds: 0 },
      h.realm.keys.admin,
    );
    expect(error).toMatchObject({ reason, field: 'claims_json' });
  });

  it('refuses an unknown tenant', async () => {
    const error = await h.fail(
      'vend',
      {
        tenantId: '00000000-0000-4000-8000-000000000000',
        claimsJson: '',
        keyId: '',
        timeToLiveSeconds: 0,
      },
      h.realm.keys.admin,
    );
    expect(error).toMatchObject({ reason: 'TENANT_NOT_FOUND', field: 'tenant_id' });
  });
});
