import { generateKeyPairSync } from 'node:crypto';
import { isTesseraError, type TesseraError } from '@tessera/errors';
import { describe, expect, it } from 'vitest';
import { generateKeyEntry, importPublicKeys, Keyring } from '../src/index.js';

async function refusal(jwks: Record<string, unknown>[]): Promise<TesseraError> {
  const error = await importPublicKeys(jwks).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isTesseraError(error, 'INVALID_ARGUMENT'))
    throw new Error(`expected INVALID_ARGUMENT, got ${String(error)}`);
  return error;
}

describe('importPublicKeys', () => {
  it('imports the published JWKS of a keyring', async () => {
    const keyring = await Keyring.fromEntries([
      await generateKeyEntry('ES384', { kid: 'es' }),
      await generateKeyEntry('EdDSA', { kid: 'ed' }),
    ]);
    const set = await importPublicKeys(keyring.jwks().keys);
    expect(set.get('es')?.alg).toBe('ES384');
    expect(set.get('ed')?.alg).toBe('EdDSA');
    expect(set.get('__proto__')).toBeUndefined();
    expect(set.get('missing')).toBeUndefined();
  });

  it('refuses HMAC secrets, private members, weak and mislabelled keys, naming the entry', async () => {
    const es = (await generateKeyEntry('ES256', { kid: 'es' })).jwk;
    const { d: _d, ...esPublic } = es;
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      format: 'jwk',
    });
    const cases: [Record<string, unknown>, string][] = [
      [
        { kty: 'oct', k: Buffer.alloc(32).toString('base64url'), kid: 'hs', alg: 'HS256' },
        'keys[0].alg',
      ],
      [{ ...esPublic, alg: 'HS256' }, 'keys[0].alg'],
      [{ ...es }, 'keys[0]'],
      [{ ...esPublic, k: 'AAAA' }, 'keys[0]'],
      [{ ...rsa1024, kid: 'rsa', alg: 'RS256' }, 'keys[0]'],
      [{ ...esPublic, alg: 'RS256' }, 'keys[0]'],
      [{ ...esPublic, alg: 'none' }, 'keys[0].alg'],
      [{ ...esPublic, kid: undefined }, 'keys[0].kid'],
      [{ ...esPublic, kid: 'k'.repeat(257) }, 'keys[0].kid'],
    ];
    for (const [jwk, field] of cases) {
      expect((await refusal([jwk])).field, JSON.stringify(jwk).slice(0, 80)).toBe(field);
    }
    expect((await refusal([esPublic, esPublic])).field).toBe('keys[1].kid');
  });
});
