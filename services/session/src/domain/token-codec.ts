import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { invalidArgument } from '@tessera/errors';

/**
 * Refresh-token values. A token is 48 bytes in base64url (64 characters): the 16 bytes of
 * its family's UUID, then 32 bytes of secret. Carrying the family id lets a token be routed
 * to its family's keys (one Redis hash slot) without a lookup table; the secret half gives
 * the 256 bits of entropy that make the token unguessable. Family ids are not secret (they
 * are the access tokens' `sid`), so nothing is ever decided on the family id alone.
 *
 * Tokens are stored only as HMAC-SHA-256(pepper, token): a dump of the store holds no
 * usable token, and without the pepper a stolen hash cannot even be checked offline.
 */

/** The smallest pepper accepted: the HMAC key must carry at least as much entropy as a token. */
export const MIN_PEPPER_BYTES = 32;

/** Bytes of the family id prefix (a UUID). */
const FAMILY_ID_BYTES = 16;
/** Bytes of the secret part. */
const SECRET_BYTES = 32;
/** The exact shape of a token: 48 bytes in unpadded base64url are 64 characters. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{64}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Domain separation: the successor HMAC never equals a stored hash of the same token. */
const ROTATE_LABEL = 'tessera-rotate:';
/** Domain separation for the first token of a family created with a request id. */
const CREATE_LABEL = 'tessera-create:';
/** Domain separation for the key a Create's request id is stored under. */
const REQUEST_LABEL = 'tessera-create-request:';

/** What a well-formed token says about itself. */
export interface ParsedToken {
  /** The family (`RefreshTokenRecord.id`) the token claims to belong to, lower-case. */
  readonly familyId: string;
}

/** Mints, parses, hashes and derives refresh tokens with one server pepper. */
export interface TokenCodec {
  /** A fresh token of the family: its id followed by 32 random bytes. */
  mint(familyId: string): string;
  /** The family id of a well-formed token; undefined for anything else (never throws). */
  parse(token: string): ParsedToken | undefined;
  /** The stored form of a token: HMAC-SHA-256(pepper, token) in hex. */
  hash(token: string): string;
  /**
   * The token that rotating `token` mints. Deterministic, so a replay of the parent (grace
   * period, resent request) yields the same successor without the successor ever being
   * stored, and concurrent rotations of one token all compute the one value that is minted.
   */
  successor(token: string): string;
  /**
   * The first token of a family created with a request id: derived from the (random) family
   * id and the request id, so a resent Create returns the same token without it ever being
   * stored. Nobody without the pepper can compute it.
   */
  firstToken(familyId: string, requestId: string): string;
  /**
   * HMAC of the parts (NUL-separated) in hex: the name a Create's request id is kept under,
   * so a client-chosen id never appears in a key and every key has one bounded length.
   */
  requestKey(parts: readonly string[]): string;
}

/** True when `value` is a UUID in its textual form (family ids are). */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

function uuidToBytes(uuid: string): Buffer {
  if (!isUuid(uuid)) throw invalidArgument('id', 'a refresh-token family id must be a UUID');
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}

function bytesToUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A codec bound to `pepper`, a server secret of at least 32 bytes. The pepper is copied, so
 * the caller may wipe its buffer afterwards.
 */
export function createTokenCodec(pepper: Uint8Array): TokenCodec {
  if (pepper.byteLength < MIN_PEPPER_BYTES) {
    throw invalidArgument(
      'pepper',
      `the refresh-token pepper must be at least ${MIN_PEPPER_BYTES} bytes`,
    );
  }
  const key = Buffer.from(pepper);
  const hmac = (...parts: string[]): Buffer => {
    const mac = createHmac('sha256', key);
    for (const part of parts) mac.update(part, 'utf8');
    return mac.digest();
  };

  const parse = (token: string): ParsedToken | undefined => {
    // The pattern bounds the length before any decoding, and 64 base64url characters are
    // exactly 48 bytes with no spare bits, so every accepted string has one spelling.
    if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) return undefined;
    const bytes = Buffer.from(token, 'base64url');
    if (bytes.length !== FAMILY_ID_BYTES + SECRET_BYTES) return undefined;
    return { familyId: bytesToUuid(bytes.subarray(0, FAMILY_ID_BYTES)) };
  };

  return Object.freeze({
    mint: (familyId: string): string =>
      Buffer.concat([uuidToBytes(familyId), randomBytes(SECRET_BYTES)]).toString('base64url'),
    parse,
    hash: (token: string): string => hmac(token).toString('hex'),
    successor(token: string): string {
      const parsed = parse(token);
      if (parsed === undefined) throw invalidArgument('token', 'not a refresh token');
      return Buffer.concat([uuidToBytes(parsed.familyId), hmac(ROTATE_LABEL, token)]).toString(
        'base64url',
      );
    },
    firstToken: (familyId: string, requestId: string): string =>
      Buffer.concat([
        uuidToBytes(familyId),
        hmac(CREATE_LABEL, familyId.toLowerCase(), '\0', requestId),
      ]).toString('base64url'),
    requestKey: (parts: readonly string[]): string =>
      hmac(REQUEST_LABEL, parts.join('\0')).toString('hex'),
  });
}

/** Compares two stored hashes in constant time (both are hex of equal length when valid). */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
