import { isTesseraError, type TesseraError } from '@tessera/errors';
import { describe, expect, it } from 'vitest';
import {
  buildClaimSetPayload,
  type NeostoreClaim,
  CLAIM_VALUE_TYPES as T,
} from '../../src/domain/neostore/index.js';

const limits = { maxClaims: 10, maxClaimValueBytes: 64, maxClaimsBytes: 256 };

function thrown(run: () => unknown): TesseraError {
  try {
    run();
  } catch (error) {
    if (isTesseraError(error)) return error;
    throw error;
  }
  throw new Error('expected a TesseraError');
}

describe('buildClaimSetPayload', () => {
  it('builds the documented example', () => {
    const claims = [
      { type: 'sub', value: 'user123' },
      { type: 'email', value: 'user@example.com' },
    ];
    expect(buildClaimSetPayload(claims, limits)).toEqual({
      sub: 'user123',
      email: 'user@example.com',
    });
  });

  it.each<readonly [rule: string, claims: NeostoreClaim[], expected: Record<string, unknown>]>([
    ['a type given once stays a scalar', [{ type: 'role', value: 'admin' }], { role: 'admin' }],
    [
      'a type given twice becomes an array in request order',
      [
        { type: 'role', value: 'b' },
        { type: 'role', value: 'a' },
      ],
      { role: ['b', 'a'] },
    ],
    [
      'repeats need not be adjacent; keys keep first-seen order',
      [
        { type: 'role', value: 'a' },
        { type: 'sub', value: 'u' },
        { type: 'role', value: 'b' },
        { type: 'role', value: 'c' },
      ],
      { role: ['a', 'b', 'c'], sub: 'u' },
    ],
    [
      'each element converts by its own value type',
      [
        { type: 'x', value: '1', valueType: T.integer },
        { type: 'x', value: 'true', valueType: T.boolean },
        { type: 'x', value: '{"a":1}', valueType: T.json },
        { type: 'x', value: 'text' },
      ],
      { x: [1, true, { a: 1 }, 'text'] },
    ],
    [
      'a double in an array is written through decimal (15 digits)',
      [
        { type: 'pi', value: '3.141592653589793', valueType: T.double },
        { type: 'pi', value: '2', valueType: T.double },
      ],
      { pi: [Number('3.14159265358979'), 2] },
    ],
    [
      'a lone double keeps every digit',
      [{ type: 'pi', value: '3.141592653589793', valueType: T.double }],
      { pi: Math.PI },
    ],
    [
      'a JSON_ARRAY value given once is the array itself, not nested',
      [{ type: 'groups', value: '["a","b"]', valueType: T.jsonArray }],
      { groups: ['a', 'b'] },
    ],
    [
      'two JSON_ARRAY values nest, as .NET nests them',
      [
        { type: 'g', value: '["a"]', valueType: T.jsonArray },
        { type: 'g', value: '["b"]', valueType: T.jsonArray },
      ],
      { g: [['a'], ['b']] },
    ],
    [
      'null and empty value types mean string',
      [
        { type: 'a', value: '1', valueType: null },
        { type: 'b', value: '2', valueType: '' },
      ],
      { a: '1', b: '2' },
    ],
    [
      'exp, nbf, iat and iss from the request are dropped: the issuer sets them',
      [
        { type: 'exp', value: '1', valueType: T.integer },
        { type: 'nbf', value: '1', valueType: T.integer },
        { type: 'iat', value: '1', valueType: T.integer },
        { type: 'iss', value: 'https://evil.example' },
        { type: 'sub', value: 'u' },
      ],
      { sub: 'u' },
    ],
    [
      "aud and jti are the caller's, as JwtPayload keeps them",
      [
        { type: 'aud', value: 'api-1' },
        { type: 'aud', value: 'api-2' },
        { type: 'jti', value: 'id-1' },
      ],
      { aud: ['api-1', 'api-2'], jti: 'id-1' },
    ],
    ['an empty set gives an empty payload', [], {}],
    [
      'claim types are case-sensitive (ordinal)',
      [
        { type: 'Role', value: 'a' },
        { type: 'role', value: 'b' },
      ],
      { Role: 'a', role: 'b' },
    ],
  ])('%s', (_rule, claims, expected) => {
    expect(buildClaimSetPayload(claims, limits)).toStrictEqual(expected);
  });

  it('keeps a claim named "__proto__" as an ordinary member', () => {
    const payload = buildClaimSetPayload([{ type: '__proto__', value: 'x' }], limits);
    expect(Object.getPrototypeOf(payload)).toBe(Object.prototype);
    expect(JSON.stringify(payload)).toBe('{"__proto__":"x"}');
  });

  it('refuses an empty claim type, naming its position', () => {
    const error = thrown(() =>
      buildClaimSetPayload(
        [
          { type: 'sub', value: 'u' },
          { type: '', value: 'x' },
        ],
        limits,
      ),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.field).toBe('[1].type');
  });

  it('accepts exactly maxClaims claims', () => {
    const claims = Array.from({ length: 10 }, (_, i) => ({ type: `c${i}`, value: 'v' }));
    expect(Object.keys(buildClaimSetPayload(claims, limits))).toHaveLength(10);
  });

  it('refuses one claim more than maxClaims with LIMIT_EXCEEDED', () => {
    const claims = Array.from({ length: 11 }, () => ({ type: 'role', value: 'v' }));
    const error = thrown(() => buildClaimSetPayload(claims, limits));
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(error.metadata).toEqual({ maximum: '10' });
  });

  it('counts dropped registered claims toward the limit (the input is what is bounded)', () => {
    const claims = Array.from({ length: 11 }, () => ({ type: 'exp', value: '1' }));
    expect(thrown(() => buildClaimSetPayload(claims, limits)).code).toBe('LIMIT_EXCEEDED');
  });

  it('finding 4: refuses a claim value over maxClaimValueBytes before converting it', () => {
    const digits = `1${'0'.repeat(64)}1`;
    const error = thrown(() =>
      buildClaimSetPayload(
        [
          { type: 'sub', value: 'u' },
          { type: 'n', value: digits, valueType: T.json },
        ],
        limits,
      ),
    );
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(error.field).toBe('[1].value');
    expect(error.metadata).toEqual({ maximum: '64' });
  });

  it('finding 4: counts value bytes in UTF-8, not in UTF-16 code units', () => {
    // 22 characters of three bytes each: 66 bytes.
    const error = thrown(() =>
      buildClaimSetPayload([{ type: 'x', value: '€'.repeat(22) }], limits),
    );
    expect(error.field).toBe('[0].value');
    expect(buildClaimSetPayload([{ type: 'x', value: '€'.repeat(21) }], limits)).toEqual({
      x: '€'.repeat(21),
    });
  });

  it('finding 4: refuses a claim set over maxClaimsBytes in all', () => {
    const claims = Array.from({ length: 5 }, (_, i) => ({ type: `c${i}`, value: 'v'.repeat(60) }));
    const error = thrown(() => buildClaimSetPayload(claims, limits));
    expect(error.code).toBe('LIMIT_EXCEEDED');
    expect(error.field).toBeUndefined();
    expect(error.metadata).toEqual({ maximum: '256' });
    expect(Object.keys(buildClaimSetPayload(claims.slice(0, 4), limits))).toHaveLength(4);
  });
});
