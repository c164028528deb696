import { status } from '@grpc/grpc-js';
import { commonV1, type issuerV1 } from '@tessera/contracts';
import { Keyring } from '@tessera/jwt-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';

/**
 * Tenant isolation, on the issuer's Validate and on the gateway's local validation alike.
 * Tenant B here also accepts tenant A's `next` key `a-rs256` (distinct issuers may share a
 * key), so only `iss` and `tid` keep a token of A from being B's.
 */

let s: GatewayStack;
let keyring: Keyring;

beforeAll(async () => {
  s = await startGatewayStack({ realm: { tenantBKeyIds: ['b-es256', 'a-rs256'] } });
  keyring = await Keyring.fromEntries(s.realm.keyEntries);
});
afterAll(() => s.close());

const ISSUER_MISMATCH = commonV1.ValidationReason.VALIDATION_REASON_ISSUER_MISMATCH;

const validate = (token: string, tenantId: string) =>
  s.call<issuerV1.ValidateRequest, issuerV1.ValidateResponse>(s.issuerClient, 'validate', {
    tenantId,
    token,
    audience: '',
  });

const vend = async (tenantId: string, claims: Record<string, unknown> = {}, keyId = '') =>
  (
    await s.call<issuerV1.VendRequest, issuerV1.VendResponse>(s.issuerClient, 'vend', {
      tenantId,
      claimsJson: JSON.stringify({ sub: 'user-1', ...claims }),
      keyId,
      timeToLiveSeconds: 300,
    })
  ).token;

const validateOverHttp = (token: string, tenantId?: string) =>
  s.gateway.inject({
    method: 'GET',
    url: '/api/jwt/validate',
    headers: {
      authorization: `Bearer ${token}`,
      ...(tenantId === undefined ? {} : { 'x-fusionauth-tenantid': tenantId }),
    },
  });

/** A token of tenant A (its `tid`) under the key both tenants accept, claiming B's issuer. */
async function tokenOfAWithIssuerOfB(): Promise<string> {
  const iat = Math.floor(s.clock.now() / 1000);
  return keyring.sign('a-rs256', {
    iss: s.realm.issuerB,
    sub: 'user-1',
    tid: s.realm.tenantA,
    iat,
    exp: iat + 300,
  });
}

describe('security finding 6 — tenant isolation', () => {
  it('finding 6: every token tessera mints names its tenant in tid', async () => {
    // A caller may not name the tenant itself (finding 1: tid is a privileged claim).
    await expect(vend(s.realm.tenantB, { tid: s.realm.tenantA })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    const vended = await vend(s.realm.tenantB);
    const result = await validate(vended, s.realm.tenantB);
    expect(result).toMatchObject({ valid: true, tenantId: s.realm.tenantB });
    expect(JSON.parse(result.claimsJson)).toMatchObject({ tid: s.realm.tenantB });
  });

  it('finding 6: issuer Validate refuses a token of A as B, even under a shared key and B’s iss', async () => {
    const token = await tokenOfAWithIssuerOfB();
    expect(await validate(token, s.realm.tenantB)).toMatchObject({
      valid: false,
      reason: ISSUER_MISMATCH,
    });
  });

  it('finding 6: the gateway refuses a token of A as B, even under a shared key and B’s iss', async () => {
    const token = await tokenOfAWithIssuerOfB();
    expect((await validateOverHttp(token, s.realm.tenantB)).statusCode).toBe(401);
    // Without the header the token's kid and iss pick tenant B, whose check refuses it too.
    expect((await validateOverHttp(token)).statusCode).toBe(401);
  });

  it('finding 6: /api/jwt/validate with X-FusionAuth-TenantId B refuses a token of A', async () => {
    for (const keyId of ['', 'a-rs256']) {
      const tokenOfA = await vend(s.realm.tenantA, {}, keyId);
      expect((await validateOverHttp(tokenOfA, s.realm.tenantA)).statusCode).toBe(200);
      expect((await validateOverHttp(tokenOfA)).statusCode).toBe(200);
      expect((await validateOverHttp(tokenOfA, s.realm.tenantB)).statusCode).toBe(401);
      expect(await validate(tokenOfA, s.realm.tenantB)).toMatchObject({ valid: false });
    }
  });
});
