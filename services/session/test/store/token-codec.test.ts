import { randomBytes, randomUUID } from 'node:crypto';
import { isTesseraError } from '@tessera/errors';
import { describe, expect, it } from 'vitest';
import {
  createTokenCodec,
  isUuid,
  MIN_PEPPER_BYTES,
  sameHash,
} from '../../src/domain/token-codec.js';

describe('token codec', () => {
  const codec = createTokenCodec(randomBytes(32));

  it('mints 48 bytes of base64url: the family id, then 256 bits of secret', () => {
    const id = randomUUID();
    const token = codec.mint(id);
    expect(token).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(codec.parse(token)).toEqual({ familyId: id });
    const again = codec.mint(id);
    expect(again).not.toBe(token);
    expect(again.slice(0, 21)).toBe(token.slice(0, 21));
  });

  it('parses only the exact shape, never throwing', () => {
    const token = codec.mint(randomUUID());
    for (const bad of [
      '',
      token.slice(1),
      `${token}A`,
      `${token.slice(0, 62)}==`,
      `${token.slice(0, 63)}/`,
      `${token.slice(0, 63)} `,
    ]) {
      expect(codec.parse(bad)).toBeUndefined();
    }
    expect(codec.parse(42 as unknown as string)).toBeUndefined();
    expect(codec.parse(token.toUpperCase())?.familyId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('hashes with the pepper: hex HMAC, not the token, different under another pepper', () => {
    const token = codec.mint(randomUUID());
    const hash = codec.hash(token);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(codec.hash(token)).toBe(hash);
    expect(createTokenCodec(randomBytes(32)).hash(token)).not.toBe(hash);
    expect(sameHash(hash, codec.hash(token))).toBe(true);
    expect(sameHash(hash, codec.hash(codec.mint(randomUUID())))).toBe(false);
    expect(sameHash(hash, '')).toBe(false);
  });

  it('derives one successor per token: deterministic, same family, new secret, pepper-bound', () => {
    const id = randomUUID();
    const token = codec.mint(id);
    const successor = codec.successor(token);
    expect(codec.successor(token)).toBe(successor);
    expect(successor).not.toBe(token);
    expect(codec.parse(successor)).toEqual({ familyId: id });
    expect(codec.successor(successor)).not.toBe(successor);
    expect(codec.hash(successor)).not.toBe(codec.hash(token));
    expect(createTokenCodec(randomBytes(32)).successor(token)).not.toBe(successor);
    expect(() => codec.successor('nope')).toThrow();
  });

  it('refuses a short pepper and a non-UUID family id', () => {
    const short = (() => {
      try {
        createTokenCodec(randomBytes(MIN_PEPPER_BYTES - 1));
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(isTesseraError(short, 'INVALID_ARGUMENT')).toBe(true);
    expect(() => codec.mint('not-a-uuid')).toThrow();
    expect(isUuid(randomUUID())).toBe(true);
    expect(isUuid('x')).toBe(false);
  });
});
