import { ManualClock } from '@tessera/clock';
import { isTesseraError } from '@tessera/errors';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createVerificationKeySet,
  generateKeyEntry,
  importPublicKeys,
  Keyring,
  TokenVerifier,
  VALIDATION_REASON_CODES,
  type ValidationReasonCode,
  type VerificationKeySet,
  type VerificationProfile,
  type VerifyResult,
} from '../src/index.js';

const START = Date.UTC(2030, 0, 1);
const issuer = 'https://shared-issuer.example';

const tenantA: VerificationProfile = {
  tenantId: 'a',
  issuer,
  keyIds: ['a-es', 'a-hs', 'a-gone'],
  clockToleranceSeconds: 30,
  audiences: [],
};
// Same issuer string on purpose: the key ids alone keep the tenants apart.
const tenantB: VerificationProfile = { ...tenantA, tenantId: 'b', keyIds: ['b-es'] };

let keyring: Keyring;
let clock: ManualClock;
let revoked: Set<string>;
let verifier: TokenVerifier;

const nowSeconds = () => Math.floor(clock.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: issuer,
  sub: 'user-1',
  jti: 'token-1',
  iat: nowSeconds(),
  exp: nowSeconds() + 300,
  ...extra,
});
const reasonOf = (result: VerifyResult) => (result.valid ? 'VALID' : result.reason);

beforeAll(async () => {
  keyring = await Keyring.fromEntries([
    await generateKeyEntry('ES256', { kid: 'a-es' }),
    await generateKeyEntry('HS256', { kid: 'a-hs' }),
    await generateKeyEntry('ES256', { kid: 'b-es' }),
  ]);
});

beforeEach(() => {
  clock = new ManualClock(START);
  revoked = new Set();
  verifier = new TokenVerifier({
    keys: () => keyring.verificationKeys(),
    clock,
    isRevoked: (verified) => revoked.has(String(verified.jti)),
  });
});

describe('TokenVerifier: valid tokens', () => {
  it('returns claims, kid and header', async () => {
    const result = await verifier.verify(await keyring.sign('a-es', claims()), tenantA);
    expect(result).toEqual({
      valid: true,
      kid: 'a-es',
      claims: claims(),
      header: { alg: 'ES256', kid: 'a-es', typ: 'JWT' },
    });
  });

  it('verifies HMAC tokens with the issuer’s own key set', async () => {
    const result = await verifier.verify(await keyring.sign('a-hs', claims()), tenantA);
    expect(reasonOf(result)).toBe('VALID');
  });

  it('does not refuse an iat in the future', async () => {
    const token = await keyring.sign('a-es', claims({ iat: nowSeconds() + 3600 }));
    expect(reasonOf(await verifier.verify(token, tenantA))).toBe('VALID');
  });

  it('verifies from pushed public keys, as a sidecar does', async () => {
    const pushed = await importPublicKeys(keyring.jwks().keys);
    const sidecar = new TokenVerifier({ keys: () => pushed, clock });
    expect(reasonOf(await sidecar.verify(await keyring.sign('a-es', claims()), tenantA))).toBe(
      'VALID',
    );
    // HMAC keys are never pushed: the sidecar does not know them.
    expect(reasonOf(await sidecar.verify(await keyring.sign('a-hs', claims()), tenantA))).toBe(
      'UNKNOWN_KID',
    );
  });
});

describe('TokenVerifier: clock tolerance boundaries (30 s)', () => {
  // jose refuses exp <= now - tolerance and nbf > now + tolerance, in whole seconds.
  it.each([
    ['exp = now - 29 s', { exp: -29 }, 'VALID'],
    ['exp = now - 30 s', { exp: -30 }, 'EXPIRED'],
    ['exp = now - 31 s', { exp: -31 }, 'EXPIRED'],
    ['nbf = now + 30 s', { nbf: 30 }, 'VALID'],
    ['nbf = now + 31 s', { nbf: 31 }, 'NOT_YET_VALID'],
  ])('%s → %s', async (_label, offsets, expected) => {
    const extra = Object.fromEntries(
      Object.entries(offsets).map(([claim, offset]) => [claim, nowSeconds() + offset]),
    );
    const token = await keyring.sign('a-es', claims({ iat: nowSeconds() - 600, ...extra }));
    expect(reasonOf(await verifier.verify(token, tenantA))).toBe(expected);
  });

  it('expires as the clock moves, at the tolerance edge to the millisecond', async () => {
    const token = await keyring.sign('a-es', claims({ exp: nowSeconds() + 60 }));
    clock.advance(89_999);
    expect(reasonOf(await verifier.verify(token, tenantA))).toBe('VALID');
    clock.advance(1);
    expect(reasonOf(await verifier.verify(token, tenantA))).toBe('EXPIRED');
  });

  it('has no tolerance when the profile sets none', async () => {
    const strict = { ...tenantA, clockToleranceSeconds: 0 };
    const token = await keyring.sign('a-es', claims({ exp: nowSeconds() + 1 }));
    expect(reasonOf(await verifier.verify(token, strict))).toBe('VALID');
    clock.advance(1000);
    expect(reasonOf(await verifier.verify(token, strict))).toBe('EXPIRED');
  });

  it('refuses a negative tolerance as a configuration error', async () => {
    const token = await keyring.sign('a-es', claims());
    const error: unknown = await verifier
      .verify(token, { ...tenantA, clockToleranceSeconds: -1 })
      .catch((caught: unknown) => caught);
    expect(isTesseraError(error, 'INVALID_ARGUMENT')).toBe(true);
  });
});

describe('TokenVerifier: issuer, audience, tenant', () => {
  it('refuses a wrong or missing iss', async () => {
    const wrong = await keyring.sign('a-es', claims({ iss: 'https://other.example' }));
    const missing = await keyring.sign('a-es', claims({ iss: undefined }));
    expect(reasonOf(await verifier.verify(wrong, tenantA))).toBe('ISSUER_MISMATCH');
    expect(reasonOf(await verifier.verify(missing, tenantA))).toBe('ISSUER_MISMATCH');
  });

  it('checks aud against the profile’s audiences', async () => {
    const profile = { ...tenantA, audiences: ['api', 'web'] };
    const check = async (aud: unknown) =>
      reasonOf(await verifier.verify(await keyring.sign('a-es', claims({ aud })), profile));
    expect(await check('web')).toBe('VALID');
    expect(await check(['other', 'api'])).toBe('VALID');
    expect(await check('other')).toBe('AUDIENCE_MISMATCH');
    expect(await check(['other'])).toBe('AUDIENCE_MISMATCH');
    expect(await check(undefined)).toBe('AUDIENCE_MISMATCH');
  });

  it('requires a caller’s audience on top of the profile’s', async () => {
    const profile = { ...tenantA, audiences: ['api'] };
    const token = await keyring.sign('a-es', claims({ aud: ['api', 'billing'] }));
    expect(reasonOf(await verifier.verify(token, profile, { audience: 'billing' }))).toBe('VALID');
    expect(reasonOf(await verifier.verify(token, profile, { audience: 'shop' }))).toBe(
      'AUDIENCE_MISMATCH',
    );
    const apiOnly = await keyring.sign('a-es', claims({ aud: 'billing' }));
    expect(reasonOf(await verifier.verify(apiOnly, profile, { audience: 'billing' }))).toBe(
      'AUDIENCE_MISMATCH',
    );
    expect(reasonOf(await verifier.verify(apiOnly, tenantA, { audience: 'billing' }))).toBe(
      'VALID',
    );
  });

  it('never validates tenant A’s token as tenant B, even with the same issuer', async () => {
    const tokenA = await keyring.sign('a-es', claims());
    const tokenB = await keyring.sign('b-es', claims());
    expect(await verifier.verify(tokenA, tenantB)).toEqual({
      valid: false,
      reason: 'UNKNOWN_KID',
      kid: 'a-es',
    });
    expect(reasonOf(await verifier.verify(tokenB, tenantA))).toBe('UNKNOWN_KID');
    expect(reasonOf(await verifier.verify(tokenB, tenantB))).toBe('VALID');
  });

  it('security finding 6: refuses a token whose tid names another tenant, whatever key and iss', async () => {
    // Both tenants accept `a-es` and share the issuer: only `tid` tells them apart.
    const sharing: VerificationProfile = { ...tenantB, keyIds: ['a-es', 'b-es'] };
    const tokenOfA = await keyring.sign('a-es', claims({ tid: 'a' }));
    expect(await verifier.verify(tokenOfA, sharing)).toEqual({
      valid: false,
      reason: 'ISSUER_MISMATCH',
      kid: 'a-es',
    });
    expect(reasonOf(await verifier.verify(tokenOfA, tenantA))).toBe('VALID');
    // A tid that is not even a string is another tenant's too.
    const oddTid = await keyring.sign('a-es', claims({ tid: ['a'] }));
    expect(reasonOf(await verifier.verify(oddTid, tenantA))).toBe('ISSUER_MISMATCH');
    // Without tid, the key and the issuer decide, as before.
    expect(reasonOf(await verifier.verify(await keyring.sign('a-es', claims()), sharing))).toBe(
      'VALID',
    );
  });

  it('refuses a kid the profile lists but the key set lacks', async () => {
    const gone = await Keyring.fromEntries([await generateKeyEntry('ES256', { kid: 'a-gone' })]);
    const token = await gone.sign('a-gone', claims());
    expect(reasonOf(await verifier.verify(token, tenantA))).toBe('UNKNOWN_KID');
  });
});

describe('TokenVerifier: keys, revocation, limits', () => {
  it('reads the key set on every call, so a reload takes effect at once', async () => {
    let current: VerificationKeySet = createVerificationKeySet([]);
    const reloading = new TokenVerifier({ keys: () => current, clock });
    const token = await keyring.sign('a-es', claims());
    expect(reasonOf(await reloading.verify(token, tenantA))).toBe('UNKNOWN_KID');
    current = keyring.verificationKeys();
    expect(reasonOf(await reloading.verify(token, tenantA))).toBe('VALID');
  });

  it('checks a signature on the calling thread once the pool has maxPoolWaiting waiting', async () => {
    const pooled = new TokenVerifier({
      keys: () => keyring.verificationKeys(),
      clock,
      engine: 'node-crypto-pool',
      maxPoolWaiting: 1,
    });
    const [first, second, forged] = await Promise.all([
      keyring.sign('a-es', claims({ jti: 'pool-1' })),
      keyring.sign('a-es', claims({ jti: 'pool-2' })),
      keyring.sign('a-es', claims({ jti: 'pool-3' })),
    ]);
    // A character in the middle of the signature changed: whole bytes differ.
    const at = forged.lastIndexOf('.') + 10;
    const tampered = `${forged.slice(0, at)}${forged[at] === 'A' ? 'B' : 'A'}${forged.slice(at + 1)}`;
    // The first takes the one place on the pool; the second is checked inline, so its answer
    // is settled by microtasks alone, before the next turn of the event loop.
    let nextTurn = false;
    setImmediate(() => {
      nextTurn = true;
    });
    const onPool = pooled.verify(first, tenantA);
    const inline = pooled.verify(second, tenantA).then((result) => ({ result, nextTurn }));
    const inlineForged = pooled.verify(tampered, tenantA);
    const answered = await inline;
    expect(answered.nextTurn).toBe(false);
    expect(reasonOf(answered.result)).toBe('VALID');
    expect(reasonOf(await inlineForged)).toBe('BAD_SIGNATURE');
    expect(reasonOf(await onPool)).toBe('VALID');
    // Once the pool's place is given back, answers stay the same.
    expect(reasonOf(await pooled.verify(second, tenantA))).toBe('VALID');
    expect(
      () =>
        new TokenVerifier({ keys: () => keyring.verificationKeys(), clock, maxPoolWaiting: -1 }),
    ).toThrow();
  });

  it('asks isRevoked last, with the verified claims', async () => {
    const token = await keyring.sign('a-es', claims({ jti: 'revoked-1' }));
    expect(reasonOf(await verifier.verify(token, tenantA))).toBe('VALID');
    revoked.add('revoked-1');
    expect(await verifier.verify(token, tenantA)).toEqual({
      valid: false,
      reason: 'REVOKED',
      kid: 'a-es',
    });
    // A revoked token that is also expired reports the expiry: revocation is consulted last.
    clock.advance(3_600_000);
    expect(reasonOf(await verifier.verify(token, tenantA))).toBe('EXPIRED');
  });

  it('refuses tokens longer than maxTokenLength unread', async () => {
    const token = await keyring.sign('a-es', claims());
    const short = new TokenVerifier({
      keys: () => keyring.verificationKeys(),
      clock,
      maxTokenLength: token.length - 1,
    });
    expect(reasonOf(await short.verify(token, tenantA))).toBe('MALFORMED');
    expect(
      () => new TokenVerifier({ keys: () => keyring.verificationKeys(), clock, maxTokenLength: 0 }),
    ).toThrow();
  });

  it.each(['node-crypto', 'node-crypto-pool', 'jose'] as const)(
    'rethrows an unexpected error instead of reporting a result (%s)',
    async (engine) => {
      const broken = new TokenVerifier({
        keys: () =>
          createVerificationKeySet([{ kid: 'a-es', alg: 'ES256', key: new Uint8Array(32) }]),
        clock,
        engine,
      });
      const token = await keyring.sign('a-es', claims());
      await expect(broken.verify(token, tenantA)).rejects.toThrow(TypeError);
    },
  );
});

describe('TokenVerifier: every reason code is reachable', () => {
  it('produces each ValidationReasonCode', async () => {
    const sign = (extra: Record<string, unknown> = {}) => keyring.sign('a-es', claims(extra));
    const valid = await sign();
    const [header, payload] = valid.split('.');
    const audienced = { ...tenantA, audiences: ['api'] };
    revoked.add('revoked');
    const cases: [ValidationReasonCode, string, VerificationProfile][] = [
      ['EXPIRED', await sign({ exp: nowSeconds() - 60 }), tenantA],
      ['NOT_YET_VALID', await sign({ nbf: nowSeconds() + 60 }), tenantA],
      [
        'BAD_SIGNATURE',
        `${header}.${payload}.${Buffer.alloc(64, 1).toString('base64url')}`,
        tenantA,
      ],
      ['UNKNOWN_KID', valid, tenantB],
      [
        'ALG_NOT_ALLOWED',
        await keyring.signWithHeader('a-es', { alg: 'HS256' }, claims()),
        tenantA,
      ],
      ['ISSUER_MISMATCH', await sign({ iss: 'https://elsewhere.example' }), tenantA],
      ['AUDIENCE_MISMATCH', await sign({ aud: 'web' }), audienced],
      ['REVOKED', await sign({ jti: 'revoked' }), tenantA],
      ['MALFORMED', 'not-a-token', tenantA],
    ];
    const seen = new Set<string>();
    for (const [expected, token, profile] of cases) {
      const reason = reasonOf(await verifier.verify(token, profile));
      expect(reason, expected).toBe(expected);
      seen.add(reason);
    }
    expect([...seen].sort()).toEqual([...VALIDATION_REASON_CODES].sort());
  });
});
