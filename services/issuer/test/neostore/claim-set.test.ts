import { isTesseraError, type TesseraError } from '@tessera/errors';
import { describe, expect, it } from 'vitest';
import {
  buildClaimSetPayload,
  type NeostoreClaim,
  CLAIM_VALUE_TYPES as T,
} from '../../src/domain/neostore/index.js';

const limits = { maxClaims: 10 };

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
});
