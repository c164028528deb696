import { generateKeyPairSync } from 'node:crypto';
import { ManualClock } from '@tessera/clock';
import { isTesseraError } from '@tessera/errors';
import { importJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  generateKeyEntry,
  type KeyFileEntry,
  Keyring,
  PRIVATE_JWK_MEMBERS,
  SIGNING_ALGORITHMS,
  TokenVerifier,
  toKeyFileJson,
} from '../src/index.js';

const clock = new ManualClock();
const nowSeconds = Math.floor(clock.now() / 1000);
const issuer = 'https://tenant.example';
const claims = { iss: issuer, sub: 'user-1', iat: nowSeconds, exp: nowSeconds + 300 };

async function refusal(promise: Promise<unknown>, code = 'INVALID_ARGUMENT') {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isTesseraError(error)) throw new Error(`expected a TesseraError, got ${String(error)}`);
  expect(error.code).toBe(code);
  return error;
}

function entryOf(
  kid: string,
  alg: KeyFileEntry['alg'],
  jwk: Record<string, unknown>,
): KeyFileEntry {
  return { kid, alg, state: 'current', jwk: { ...jwk, kid, alg } };
}

describe('Keyring: every algorithm', () => {
  it.each(SIGNING_ALGORITHMS)('%s generates, signs and verifies', async (alg) => {
    const entry = await generateKeyEntry(alg, { kid: `key-${alg}` });
    const keyring = await Keyring.fromEntries([entry]);
    const token = await keyring.sign(entry.kid, claims);

    const verifier = new TokenVerifier({ keys: () => keyring.verificationKeys(), clock });
    const profile = {
      tenantId: 't',
      issuer,
      keyIds: [entry.kid],
      clockToleranceSeconds: 0,
      audiences: [],
    };
    const result = await verifier.verify(token, profile);
    expect(result).toMatchObject({ valid: true, kid: entry.kid, claims: { sub: 'user-1' } });
    if (result.valid) expect(result.header).toEqual({ alg, kid: entry.kid, typ: 'JWT' });

    const key = keyring.get(entry.kid);
    expect(key?.symmetric).toBe(alg.startsWith('HS'));
    if (key?.publicJwk !== undefined) {
      // An independent check: jose with the published JWK alone.
      const publicKey = await importJWK({ ...key.publicJwk }, alg);
      const verified = await jwtVerify(token, publicKey, { currentDate: new Date(clock.now()) });
      expect(verified.payload.sub).toBe('user-1');
      expect(key.publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    } else {
      expect(key?.publicPem).toBeUndefined();
    }
  });

  it('encodes ES256 signatures as 64-byte r||s', async () => {
    const keyring = await Keyring.fromEntries([await generateKeyEntry('ES256', { kid: 'es' })]);
    const token = await keyring.sign('es', claims);
    expect(Buffer.from(token.split('.')[2] ?? '', 'base64url')).toHaveLength(64);
  });
});

describe('Keyring: publication', () => {
  it('publishes asymmetric keys in every state and never HMAC keys or private members', async () => {
    const keyring = await Keyring.fromEntries([
      await generateKeyEntry('ES256', { kid: 'es', state: 'current' }),
      await generateKeyEntry('RS256', { kid: 'rs', state: 'retired' }),
      await generateKeyEntry('EdDSA', { kid: 'ed', state: 'next' }),
      await generateKeyEntry('HS256', { kid: 'hs' }),
    ]);
    expect(keyring.keys.map((key) => key.kid)).toEqual(['es', 'rs', 'ed', 'hs']);
    expect(keyring.published().map((key) => key.kid)).toEqual(['es', 'rs', 'ed']);
    const jwks = keyring.jwks();
    expect(jwks.keys.map((jwk) => jwk.kid)).toEqual(['es', 'rs', 'ed']);
    for (const jwk of jwks.keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'])
        expect(jwk).not.toHaveProperty(member);
      for (const member of PRIVATE_JWK_MEMBERS) expect(jwk).not.toHaveProperty(member);
      expect(jwk.use).toBe('sig');
    }
    expect(keyring.jwks(['rs', 'hs', 'missing']).keys.map((jwk) => jwk.kid)).toEqual(['rs']);
    expect(keyring.get('hs')?.publicJwk).toBeUndefined();
  });

  it('hands out copies, so a caller cannot alter what is published', async () => {
    const keyring = await Keyring.fromEntries([await generateKeyEntry('ES256', { kid: 'es' })]);
    const first = keyring.jwks().keys[0];
    if (first !== undefined) first.x = 'tampered';
    expect(keyring.jwks().keys[0]?.x).not.toBe('tampered');
  });
});

describe('Keyring: admission', () => {
  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
    format: 'jwk',
  });
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    format: 'jwk',
  });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({
    format: 'jwk',
  });
  const ed25519 = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const secret = (bytes: number) => ({
    kty: 'oct',
    k: Buffer.alloc(bytes, 7).toString('base64url'),
  });
  const { d: _d, ...p256Public } = p256;

  it.each([
    ['RSA 1024', entryOf('weak-rsa', 'RS256', rsa1024)],
    ['PS256 with RSA 1024', entryOf('weak-ps', 'PS256', rsa1024)],
    ['HS256 with a 16-byte secret', entryOf('short-hs256', 'HS256', secret(16))],
    ['HS384 with a 32-byte secret', entryOf('short-hs384', 'HS384', secret(32))],
    ['HS512 with a 32-byte secret', entryOf('short-hs512', 'HS512', secret(32))],
    ['EC key labelled RS256', entryOf('ec-as-rs', 'RS256', p256)],
    ['P-384 key labelled ES256', entryOf('p384-as-es256', 'ES256', p384)],
    ['Ed25519 key labelled ES256', entryOf('ed-as-es', 'ES256', ed25519)],
    ['EC key labelled HS256', entryOf('ec-as-hs', 'HS256', p256)],
    ['secret labelled ES256', entryOf('oct-as-es', 'ES256', secret(64))],
    ['public-only EC key', entryOf('public-only', 'ES256', p256Public)],
    [
      'JWK whose own alg differs',
      {
        kid: 'alg-differs',
        alg: 'ES256',
        state: 'current',
        jwk: { ...p256, alg: 'ES384' },
      } as const,
    ],
    ['JWK for encryption', entryOf('use-enc', 'ES256', { ...p256, use: 'enc' })],
    ['corrupt EC point', entryOf('corrupt', 'ES256', { ...p256, x: p384.x })],
  ])('refuses %s, naming the kid', async (_label, entry) => {
    const error = await refusal(Keyring.fromEntries([entry]));
    expect(error.message).toContain(entry.kid);
    expect(error.metadata.kid).toBe(entry.kid);
    expect(error.field).toBe('keys[0]');
  });

  it('accepts HMAC secrets exactly as long as the hash output', async () => {
    const keyring = await Keyring.fromEntries([
      entryOf('hs256', 'HS256', secret(32)),
      entryOf('hs384', 'HS384', secret(48)),
      entryOf('hs512', 'HS512', secret(64)),
    ]);
    expect(keyring.keys).toHaveLength(3);
  });

  it('refuses duplicate kids', async () => {
    const entry = await generateKeyEntry('ES256', { kid: 'twice' });
    const error = await refusal(Keyring.fromEntries([entry, entry]));
    expect(error.field).toBe('keys[1].kid');
  });
});

describe('Keyring: signing', () => {
  it('refuses to sign with a retired key, which still verifies', async () => {
    const entry = await generateKeyEntry('ES256', { kid: 'old' });
    const before = await Keyring.fromEntries([entry]);
    const token = await before.sign('old', claims);
    const after = await Keyring.fromEntries([{ ...entry, state: 'retired' }]);

    const error = await refusal(after.sign('old', claims), 'KEY_NOT_FOUND');
    expect(error.metadata.kid).toBe('old');
    await refusal(after.signWithHeader('old', {}, claims), 'KEY_NOT_FOUND');

    const verifier = new TokenVerifier({ keys: () => after.verificationKeys(), clock });
    const profile = {
      tenantId: 't',
      issuer,
      keyIds: ['old'],
      clockToleranceSeconds: 0,
      audiences: [],
    };
    expect(await verifier.verify(token, profile)).toMatchObject({ valid: true });
  });

  it('signs with a next key, which is published before it becomes current', async () => {
    const keyring = await Keyring.fromEntries([
      await generateKeyEntry('ES256', { kid: 'n', state: 'next' }),
    ]);
    await expect(keyring.sign('n', claims)).resolves.toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('refuses an unknown kid', async () => {
    const keyring = await Keyring.fromEntries([]);
    await refusal(keyring.sign('nope', claims), 'KEY_NOT_FOUND');
  });

  it('lays extra header members over alg and kid with signWithHeader', async () => {
    const keyring = await Keyring.fromEntries([await generateKeyEntry('ES256', { kid: 'es' })]);
    const token = await keyring.signWithHeader('es', { typ: 'at+jwt', x: 1 }, claims);
    const header: unknown = JSON.parse(
      Buffer.from(token.split('.')[0] ?? '', 'base64url').toString(),
    );
    expect(header).toEqual({ alg: 'ES256', kid: 'es', typ: 'at+jwt', x: 1 });
  });
});

describe('generateKeyEntry', () => {
  it('defaults to a random url-safe kid, state current, and keys-file shape', async () => {
    const entry = await generateKeyEntry('ES256');
    expect(entry.kid).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(entry.state).toBe('current');
    expect(entry.jwk).toMatchObject({ kty: 'EC', crv: 'P-256', kid: entry.kid, alg: 'ES256' });
    expect(typeof entry.jwk.d).toBe('string');
    expect(toKeyFileJson([entry]).keys[0]).toEqual({ ...entry.jwk, state: 'current' });
  });

  it('makes HMAC secrets as long as the hash output', async () => {
    for (const [alg, bytes] of [
      ['HS256', 32],
      ['HS384', 48],
      ['HS512', 64],
    ] as const) {
      const entry = await generateKeyEntry(alg);
      expect(Buffer.from(String(entry.jwk.k), 'base64url')).toHaveLength(bytes);
    }
  });

  it('honours a larger RSA modulus and refuses a smaller one', async () => {
    const entry = await generateKeyEntry('RS256', { modulusLength: 3072 });
    expect(Buffer.from(String(entry.jwk.n), 'base64url')).toHaveLength(384);
    const error = await refusal(generateKeyEntry('RS256', { modulusLength: 1024 }));
    expect(error.field).toBe('modulusLength');
    expect((await refusal(generateKeyEntry('ES256', { kid: '' }))).field).toBe('kid');
  });
});
