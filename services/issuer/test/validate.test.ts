import { loadRealmWithKeys } from '@tessera/config';
import { commonV1, type issuerV1 } from '@tessera/contracts';
import { buildAttackCases } from '@tessera/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IssuerHarness, startIssuer } from './support/issuer-harness.js';

let h: IssuerHarness;
beforeAll(async () => {
  h = await startIssuer();
});
afterAll(() => h.close());

const validate = (token: string, tenantId = h.realm.tenantA, audience = '') =>
  h.call<issuerV1.ValidateRequest, issuerV1.ValidateResponse>(
    'validate',
    { tenantId, token, audience },
    h.realm.keys.admin,
  );

const vend = async (
  claims: Record<string, unknown>,
  tenantId = h.realm.tenantA,
  timeToLiveSeconds = 0,
) =>
  (
    await h.call<issuerV1.VendRequest, issuerV1.VendResponse>(
      'vend',
      { tenantId, claimsJson: JSON.stringify(claims), keyId: '', timeToLiveSeconds },
      h.realm.keys.admin,
    )
  ).token;

const reason = (name: string) =>
  commonV1.ValidationReason[`VALIDATION_REASON_${name}` as keyof typeof commonV1.ValidationReason];

describe('Validate', () => {
  it('returns the claims of a valid token with its key and tenant', async () => {
    const result = await validate(await vend({ sub: 'user-1' }));
    expect(result).toMatchObject({ valid: true, keyId: 'a-es256', tenantId: h.realm.tenantA });
    expect(JSON.parse(result.claimsJson)).toMatchObject({ sub: 'user-1', iss: h.realm.issuerA });
  });

  it('never validates a token of tenant B as tenant A', async () => {
    const tokenB = await vend({ sub: 'b' }, h.realm.tenantB);
    expect(await validate(tokenB, h.realm.tenantB)).toMatchObject({ valid: true });
    expect(await validate(tokenB, h.realm.tenantA)).toMatchObject({
      valid: false,
      reason: reason('UNKNOWN_KID'),
    });
  });

  it('checks exp and nbf with the clock tolerance, at the exact boundaries', async () => {
    const token = await vend({ nbf: Math.floor(h.clock.now() / 1000) + 30 }, h.realm.tenantA, 60);
    const start = h.clock.now();
    try {
      expect(await validate(token)).toMatchObject({ valid: true }); // nbf = now + tolerance
      h.clock.set(start - 1000);
      expect(await validate(token)).toMatchObject({
        valid: false,
        reason: reason('NOT_YET_VALID'),
      });
      h.clock.set(start + (60 + 29) * 1000); // exp = now - 29 s: inside the tolerance
      expect(await validate(token)).toMatchObject({ valid: true });
      h.clock.set(start + (60 + 30) * 1000); // exp = now - 30 s: jose counts the boundary as expired
      expect(await validate(token)).toMatchObject({ valid: false, reason: reason('EXPIRED') });
    } finally {
      h.clock.set(start);
    }
  });

  it('checks the audience the caller asks for', async () => {
    const token = await vend({ aud: ['svc-a'] });
    expect(await validate(token, h.realm.tenantA, 'svc-a')).toMatchObject({ valid: true });
    expect(await validate(token, h.realm.tenantA, 'svc-b')).toMatchObject({
      valid: false,
      reason: reason('AUDIENCE_MISMATCH'),
    });
  });

  it('refuses an empty token as bad input', async () => {
    const error = await h.fail(
      'validate',
      { tenantId: h.realm.tenantA, token: '', audience: '' },
      h.realm.keys.admin,
    );
    expect(error).toMatchObject({ reason: 'INVALID_ARGUMENT', field: 'token' });
  });

  it('rejects every attack token with its reason', async () => {
    const { keyring } = await loadRealmWithKeys(h.realm.realmFile);
    const cases = await buildAttackCases({
      keyring,
      kid: 'a-es256',
      rsaKid: 'a-rs256',
      issuer: h.realm.issuerA,
      audience: 'svc-a',
      now: h.clock.now(),
    });
    expect(cases.length).toBeGreaterThan(50);
    for (const attack of cases) {
      const result = await validate(attack.token, h.realm.tenantA, 'svc-a').catch(
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      );
      if (result instanceof Error) {
        // Only structurally empty input may be refused as bad input instead of answered.
        expect(attack.token, attack.name).toBe('');
        continue;
      }
      expect(result.valid, attack.name).toBe(false);
      expect(
        attack.expected.map((name) => reason(name)),
        `${attack.name}: got ${result.reason}`,
      ).toContain(result.reason);
    }
  });
});
