import { ManualClock } from '@tessera/clock';
import { buildAttackCases, buildValidToken } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import {
  generateKeyEntry,
  importPublicKeys,
  Keyring,
  TokenVerifier,
  type VerificationKeySet,
  type VerificationProfile,
} from '../src/index.js';

const clock = new ManualClock();
const keyring = await Keyring.fromEntries([
  await generateKeyEntry('ES256', { kid: 'tenant-es' }),
  await generateKeyEntry('RS256', { kid: 'tenant-rs' }),
  await generateKeyEntry('HS256', { kid: 'tenant-hs' }),
]);
const input = {
  keyring,
  kid: 'tenant-es',
  rsaKid: 'tenant-rs',
  issuer: 'https://tenant.example',
  audience: 'api',
  now: clock.now(),
};
const profile: VerificationProfile = {
  tenantId: 'tenant',
  issuer: input.issuer,
  keyIds: ['tenant-es', 'tenant-rs', 'tenant-hs'],
  clockToleranceSeconds: 30,
  audiences: [input.audience],
};
const cases = await buildAttackCases(input);
const keySets: [string, VerificationKeySet][] = [
  ['issuer key set', keyring.verificationKeys()],
  ['pushed public keys', await importPublicKeys(keyring.jwks().keys)],
];

describe.each(keySets)('attack tokens against a TokenVerifier (%s)', (_label, keys) => {
  const verifier = new TokenVerifier({ keys: () => keys, clock });

  it('accepts the token the attacks are derived from', async () => {
    expect(await verifier.verify(await buildValidToken(input), profile)).toMatchObject({
      valid: true,
    });
  });

  it.each(cases)('refuses $name', async ({ token, expected }) => {
    const result = await verifier.verify(token, profile);
    expect(result.valid).toBe(false);
    if (!result.valid) expect(expected).toContain(result.reason);
  });
});

describe('the attack suite', () => {
  it("has unique names and covers every rule of the README's Token rules", () => {
    const names = cases.map((attack) => attack.name);
    expect(new Set(names).size).toBe(names.length);
    for (const expected of [
      'alg nOnE, empty signature',
      'ES256 signature with r = 0 and s = 0',
      'HS256 signed with ES256 key "tenant-es" as PEM',
      'HS512 signed with RS256 key "tenant-rs" as DER (SPKI)',
      'HS384 signed with ES256 key "tenant-es" as JWK JSON',
      'embedded jku header, valid signature',
      'crit []',
      'b64 false',
      'kid "|sleep 5"',
      '1 MB of dots',
      'wrong aud',
    ]) {
      expect(names).toContain(expected);
    }
  });
});
