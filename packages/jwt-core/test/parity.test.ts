/**
 * One verification profile, three engines: the node:crypto paths (the TokenVerifier's default,
 * and the one that checks signatures on the thread pool) must answer every case exactly as
 * jose's jwtVerify does (the reference), with the same structural checks in front. The cases: a valid token per supported algorithm, every
 * attack token of @tessera/testing, broken signatures per algorithm, and every claim rule at
 * and around its edges, with raw payloads jose itself would never produce.
 */
import {
  constants,
  createHmac,
  createPrivateKey,
  createSecretKey,
  type KeyObject,
  sign,
} from 'node:crypto';
import { ManualClock } from '@tessera/clock';
import { buildAttackCases } from '@tessera/testing';
import { describe, expect, it } from 'vitest';
import {
  generateKeyEntry,
  importPublicKeys,
  type KeyFileEntry,
  Keyring,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
  TokenVerifier,
  type VerificationKeySet,
  type VerificationProfile,
  type VerifyResult,
} from '../src/index.js';

const NOW = Date.UTC(2031, 4, 6, 7, 8, 9, 500);
const nowSeconds = Math.floor(NOW / 1000);
const TOLERANCE = 30;
const issuer = 'https://tenant.example';
const audience = 'api';

const entries = new Map<SigningAlgorithm, KeyFileEntry>();
for (const alg of SIGNING_ALGORITHMS) {
  entries.set(alg, await generateKeyEntry(alg, { kid: `kid-${alg}` }));
}
const keyring = await Keyring.fromEntries([...entries.values()]);
const privateKeys = new Map<SigningAlgorithm, KeyObject>(
  [...entries].map(([alg, entry]) => [
    alg,
    entry.jwk.kty === 'oct'
      ? createSecretKey(Buffer.from(String(entry.jwk.k), 'base64url'))
      : createPrivateKey({ key: { ...entry.jwk }, format: 'jwk' }),
  ]),
);
const kids = SIGNING_ALGORITHMS.map((alg) => `kid-${alg}`);

const withAudience: VerificationProfile = {
  tenantId: 'tenant',
  issuer,
  keyIds: kids,
  clockToleranceSeconds: TOLERANCE,
  audiences: [audience, 'other-api'],
};
const withoutAudience: VerificationProfile = { ...withAudience, audiences: [] };

const clock = new ManualClock(NOW);
const keySets: [string, VerificationKeySet][] = [
  ['issuer key set', keyring.verificationKeys()],
  ['pushed public keys', await importPublicKeys(keyring.jwks().keys)],
];

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const rawSegment = (text: string | Uint8Array) => Buffer.from(text).toString('base64url');

/** Signs `header.payload` as given, with no check of what it says. */
function signRaw(alg: SigningAlgorithm, encodedHeader: string, encodedPayload: string): string {
  const input = Buffer.from(`${encodedHeader}.${encodedPayload}`, 'ascii');
  const key = privateKeys.get(alg);
  if (key === undefined) throw new Error(`no ${alg} key`);
  const digest = `sha${alg.slice(2)}`;
  let signature: Buffer;
  if (alg.startsWith('HS')) signature = createHmac(digest, key).update(input).digest();
  else if (alg.startsWith('ES'))
    signature = sign(digest, input, { key, dsaEncoding: 'ieee-p1363' });
  else if (alg === 'PS256') {
    signature = sign('sha256', input, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    });
  } else if (alg === 'EdDSA') signature = sign(null, input, key);
  else signature = sign(digest, input, key);
  return `${encodedHeader}.${encodedPayload}.${signature.toString('base64url')}`;
}

const header = (alg: SigningAlgorithm, extra: Record<string, unknown> = {}) =>
  segment({ alg, kid: `kid-${alg}`, typ: 'JWT', ...extra });
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: issuer,
  sub: 'user-1',
  aud: audience,
  iat: nowSeconds,
  exp: nowSeconds + 300,
  ...extra,
});
const without = (claim: string) => {
  const copy: Record<string, unknown> = claims();
  delete copy[claim];
  return copy;
};

interface Case {
  readonly name: string;
  readonly token: string;
}

function buildCases(): Case[] {
  const cases: Case[] = [];
  const add = (name: string, token: string) => cases.push({ name, token });

  for (const alg of SIGNING_ALGORITHMS) {
    const valid = signRaw(alg, header(alg), segment(claims()));
    add(`${alg}: valid`, valid);
    const [h = '', p = '', s = ''] = valid.split('.');
    const signature = Buffer.from(s, 'base64url');
    const flipped = Buffer.from(signature);
    flipped[0] = (flipped[0] ?? 0) ^ 0x80;
    add(`${alg}: a flipped bit in the signature`, `${h}.${p}.${flipped.toString('base64url')}`);
    add(
      `${alg}: the signature one byte short`,
      `${h}.${p}.${signature.subarray(1).toString('base64url')}`,
    );
    add(
      `${alg}: the signature one byte long`,
      `${h}.${p}.${Buffer.concat([signature, Buffer.of(0)]).toString('base64url')}`,
    );
    add(
      `${alg}: a signature of 4n+1 characters`,
      `${h}.${p}.${s}${s.length % 4 === 0 ? 'A' : s.length % 4 === 2 ? 'AAA' : 'AA'}`,
    );
    add(`${alg}: a one-byte signature`, `${h}.${p}.AA`);
    add(`${alg}: the payload of another token`, `${h}.${segment(claims({ sub: 'admin' }))}.${s}`);
    add(
      `${alg}: signed over padding-free header, extra member`,
      signRaw(alg, header(alg, { cty: 'x' }), segment(claims())),
    );
  }

  // WebCrypto's PS256 demands a salt as long as the hash; a verifier that takes any salt
  // length (node:crypto's default) would accept these.
  for (const saltLength of [0, 20, 64]) {
    const input = `${header('PS256')}.${segment(claims())}`;
    const key = privateKeys.get('PS256');
    if (key === undefined) throw new Error('no PS256 key');
    const signature = sign('sha256', Buffer.from(input), {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength,
    });
    add(
      `PS256: signed with a salt of ${saltLength} bytes`,
      `${input}.${signature.toString('base64url')}`,
    );
  }

  const es = (payload: string, extraHeader: Record<string, unknown> = {}) =>
    signRaw('ES256', header('ES256', extraHeader), payload);
  const json = (value: unknown) => segment(value);
  // Presence, in jose's order: iss, then aud, then exp.
  add('no iss', es(json(without('iss'))));
  add('no aud', es(json(without('aud'))));
  add('no exp', es(json(without('exp'))));
  add('no iss, no aud, no exp', es(json({ sub: 'x' })));
  add('no aud, no exp', es(json({ iss: issuer })));
  add('iss wrong', es(json(claims({ iss: 'https://other.example' }))));
  add('iss a number', es(json(claims({ iss: 1 }))));
  add('iss null', es(json(claims({ iss: null }))));
  add('iss in an array', es(json(claims({ iss: [issuer] }))));
  add('aud wrong', es(json(claims({ aud: 'nope' }))));
  add('aud array naming it', es(json(claims({ aud: ['x', audience] }))));
  add('aud array naming the second audience', es(json(claims({ aud: ['other-api'] }))));
  add('aud array not naming it', es(json(claims({ aud: ['x', 'y'] }))));
  add('aud empty array', es(json(claims({ aud: [] }))));
  add('aud array of numbers', es(json(claims({ aud: [1, 2] }))));
  add('aud an object', es(json(claims({ aud: { api: true } }))));
  add('aud null', es(json(claims({ aud: null }))));
  // Times.
  add('iat a string', es(json(claims({ iat: 'now' }))));
  add('iat null', es(json(claims({ iat: null }))));
  add('iat far in the future', es(json(claims({ iat: nowSeconds + 10_000 }))));
  add('nbf a string', es(json(claims({ nbf: '1' }))));
  add('nbf null', es(json(claims({ nbf: null }))));
  add('nbf at now + tolerance', es(json(claims({ nbf: nowSeconds + TOLERANCE }))));
  add('nbf one past now + tolerance', es(json(claims({ nbf: nowSeconds + TOLERANCE + 1 }))));
  add(
    'nbf a fraction past now + tolerance',
    es(json(claims({ nbf: nowSeconds + TOLERANCE + 0.5 }))),
  );
  add('exp a string', es(json(claims({ exp: String(nowSeconds + 300) }))));
  add('exp null', es(json(claims({ exp: null }))));
  add('exp at now - tolerance', es(json(claims({ exp: nowSeconds - TOLERANCE }))));
  add('exp one after now - tolerance', es(json(claims({ exp: nowSeconds - TOLERANCE + 1 }))));
  add(
    'exp a fraction after now - tolerance',
    es(json(claims({ exp: nowSeconds - TOLERANCE + 0.25 }))),
  );
  add(
    'exp 1e999 (Infinity once parsed)',
    es(rawSegment(`{"iss":"${issuer}","aud":"${audience}","exp":1e999}`)),
  );
  add('exp -1e999', es(rawSegment(`{"iss":"${issuer}","aud":"${audience}","exp":-1e999}`)));
  add(
    'nbf in the future and exp in the past',
    es(json(claims({ nbf: nowSeconds + 1000, exp: 1 }))),
  );
  add('tid of another tenant', es(json(claims({ tid: 'other' }))));
  add('tid of this tenant', es(json(claims({ tid: 'tenant' }))));
  // Payloads jose itself never writes.
  add('payload not JSON', es(rawSegment('not json')));
  add('payload a JSON array', es(json([claims()])));
  add('payload a JSON string', es(json('claims')));
  add('payload null', es(json(null)));
  add('payload with a byte-order mark', es(rawSegment(`\uFEFF${JSON.stringify(claims())}`)));
  add(
    'payload not UTF-8',
    es(rawSegment(Buffer.concat([Buffer.from('{"a":"'), Buffer.of(0xff), Buffer.from('"}')]))),
  );
  add(
    'payload with __proto__',
    es(
      rawSegment(
        `{"__proto__":{"admin":true},"iss":"${issuer}","aud":"${audience}","exp":${nowSeconds + 60}}`,
      ),
    ),
  );
  add(
    'payload with duplicate exp, the last expired',
    es(rawSegment(`{"iss":"${issuer}","aud":"${audience}","exp":${nowSeconds + 60},"exp":1}`)),
  );
  add(
    'payload of 4n+1 characters',
    es(
      `${json(claims())}${json(claims()).length % 4 === 0 ? 'A' : json(claims()).length % 4 === 2 ? 'AAA' : 'AA'}`,
    ),
  );
  add('payload empty object', es(json({})));
  return cases;
}

const attackCases = await buildAttackCases({
  keyring,
  kid: 'kid-ES256',
  rsaKid: 'kid-RS256',
  issuer,
  audience,
  now: NOW,
});
const cases = [
  ...buildCases(),
  ...attackCases.map((attack) => ({ name: `attack: ${attack.name}`, token: attack.token })),
];

const outcome = async (verifier: TokenVerifier, token: string, profile: VerificationProfile) => {
  const result: VerifyResult = await verifier.verify(token, profile);
  return result;
};

describe.each(keySets)('node:crypto and jose give the same answers (%s)', (_label, keys) => {
  const jose = new TokenVerifier({ keys: () => keys, clock, engine: 'jose' });
  const node = new TokenVerifier({ keys: () => keys, clock, engine: 'node-crypto' });
  const pool = new TokenVerifier({ keys: () => keys, clock, engine: 'node-crypto-pool' });

  describe.each([
    ['audiences configured', withAudience],
    ['no audience configured', withoutAudience],
  ] as const)('%s', (_profileLabel, profile) => {
    it.each(cases)('$name', async ({ token }) => {
      const reference = await outcome(jose, token, profile);
      expect(await outcome(node, token, profile)).toEqual(reference);
      expect(await outcome(pool, token, profile)).toEqual(reference);
    });
  });

  it('the default engine is node:crypto, and it accepts what jose accepts', async () => {
    const byDefault = new TokenVerifier({ keys: () => keys, clock });
    const token = await keyring.sign('kid-ES256', claims());
    expect(await byDefault.verify(token, withAudience)).toEqual(
      await jose.verify(token, withAudience),
    );
  });
});

describe('the parity cases', () => {
  it('cover a valid token and every refusal reason the claims can give', async () => {
    const jose = new TokenVerifier({
      keys: () => keyring.verificationKeys(),
      clock,
      engine: 'jose',
    });
    const reasons = new Set<string>();
    for (const { token } of cases) {
      const result = await jose.verify(token, withAudience);
      reasons.add(result.valid ? 'VALID' : result.reason);
    }
    expect([...reasons].sort()).toEqual(
      [
        'VALID',
        'MALFORMED',
        'BAD_SIGNATURE',
        'ALG_NOT_ALLOWED',
        'UNKNOWN_KID',
        'EXPIRED',
        'NOT_YET_VALID',
        'ISSUER_MISMATCH',
        'AUDIENCE_MISMATCH',
      ].sort(),
    );
  });

  it('an unusable clock throws on every engine rather than answering', async () => {
    const broken = { now: () => Number.NaN };
    const token = await keyring.sign('kid-ES256', claims());
    for (const engine of ['jose', 'node-crypto', 'node-crypto-pool'] as const) {
      const verifier = new TokenVerifier({
        keys: () => keyring.verificationKeys(),
        clock: broken,
        engine,
      });
      await expect(verifier.verify(token, withAudience)).rejects.toThrow(TypeError);
    }
  });
});
