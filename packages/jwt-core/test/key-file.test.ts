import { isTesseraError, type TesseraError } from '@tessera/errors';
import { describe, expect, it } from 'vitest';
import { generateKeyEntry, parseKeyFile, toKeyFileJson } from '../src/index.js';

const source = '/etc/tessera/keys.jwks.json';

function refusal(run: () => unknown): TesseraError {
  try {
    run();
  } catch (error) {
    if (isTesseraError(error, 'INVALID_ARGUMENT')) return error;
    throw error;
  }
  throw new Error('expected INVALID_ARGUMENT');
}

describe('parseKeyFile', () => {
  it('round-trips the keys-file shape', async () => {
    const entries = [
      await generateKeyEntry('ES256', { kid: 'a', state: 'current' }),
      await generateKeyEntry('HS256', { kid: 'b', state: 'retired' }),
    ];
    const json: unknown = JSON.parse(JSON.stringify(toKeyFileJson(entries)));
    const parsed = parseKeyFile(json, source);
    expect(parsed).toEqual(entries);
    expect(parsed[0]?.jwk).not.toHaveProperty('state');
  });

  it.each([
    ['keys missing', {}, 'keys'],
    ['keys not an array', { keys: {} }, 'keys'],
    ['alg unsupported', { keys: [ok('a'), ok('b'), { ...ok('c'), alg: 'none' }] }, 'keys[2].alg'],
    ['state unknown', { keys: [{ ...ok('a'), state: 'active' }] }, 'keys[0].state'],
    ['kid missing', { keys: [{ ...ok('a'), kid: undefined }] }, 'keys[0].kid'],
    ['kid empty', { keys: [{ ...ok('a'), kid: '' }] }, 'keys[0].kid'],
    ['kid too long', { keys: [{ ...ok('a'), kid: 'k'.repeat(257) }] }, 'keys[0].kid'],
    ['kty missing', { keys: [{ ...ok('a'), kty: undefined }] }, 'keys[0].kty'],
    ['entry not an object', { keys: [ok('a'), 'key'] }, 'keys[1]'],
    ['duplicate kid', { keys: [ok('a'), ok('b'), ok('a')] }, 'keys[2].kid'],
  ])('names the path when %s', (_label, json, field) => {
    const error = refusal(() => parseKeyFile(json, source));
    expect(error.field).toBe(field);
    expect(error.message).toContain(source);
    expect(error.message).toContain(`${field}:`);
  });

  it('refuses a document that is not an object, naming the source', () => {
    const error = refusal(() => parseKeyFile([], source));
    expect(error.field).toBeUndefined();
    expect(error.message).toContain(source);
  });
});

function ok(kid: string): Record<string, unknown> {
  return {
    kid,
    alg: 'HS256',
    state: 'current',
    kty: 'oct',
    k: Buffer.alloc(32, 1).toString('base64url'),
  };
}
