/**
 * The structural checks that run before any crypto, so hostile input costs almost nothing:
 * a 1 MB token of dots or a 10 KB kid is refused by length and shape alone, and a header that
 * names its own key (`jwk`, `jku`, `x5u`, `x5c`, `x5t`) or asks for extensions (`crit`, `b64`)
 * is refused without a key lookup.
 */
import { MAX_KID_LENGTH } from './limits.js';
import type { ValidationReasonCode } from './profile.js';

/**
 * Header members refused outright: keys or key locations chosen by the token (we only trust
 * keys we were given), and extensions (`crit`, `b64`) tessera implements none of.
 */
export const FORBIDDEN_HEADER_MEMBERS: readonly string[] = Object.freeze([
  'jwk',
  'jku',
  'x5u',
  'x5c',
  'x5t',
  'x5t#S256',
  'crit',
  'b64',
]);

/** Three base64url segments; the signature may be empty here and is judged later. */
const COMPACT_JWS = /^([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+\.([A-Za-z0-9_-]*)$/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A header that passed the structural checks. */
export interface CheckedHeader {
  readonly ok: true;
  readonly header: Readonly<Record<string, unknown>>;
  readonly alg: string;
  readonly kid: string;
  readonly signatureEmpty: boolean;
}

/** A token refused before crypto. */
export interface RefusedHeader {
  readonly ok: false;
  readonly reason: ValidationReasonCode;
  readonly kid?: string;
}

/**
 * Checks length, shape and protected header of a compact JWS, in this order:
 * 1. longer than `maxLength`, or not three base64url segments with non-empty header and
 *    payload → MALFORMED;
 * 2. header not a JSON object, `alg` missing or not a string → MALFORMED; `alg` "none" in any
 *    casing → ALG_NOT_ALLOWED; any forbidden member present (even `crit: []`) → MALFORMED;
 * 3. `kid` of another type than string → MALFORMED (the header is malformed, not the key
 *    unknown); `kid` missing, empty or longer than 256 characters → UNKNOWN_KID.
 * An empty signature segment passes here and is refused as BAD_SIGNATURE once the key and alg
 * rules have run, so `alg: none` tokens report ALG_NOT_ALLOWED whatever their signature.
 */
export function checkHeader(token: string, maxLength: number): CheckedHeader | RefusedHeader {
  if (typeof token !== 'string' || token.length > maxLength) return refused('MALFORMED');
  const match = COMPACT_JWS.exec(token);
  const encodedHeader = match?.[1];
  if (match === null || encodedHeader === undefined) return refused('MALFORMED');
  const header = decodeJsonObject(encodedHeader);
  if (header === undefined) return refused('MALFORMED');
  const { alg, kid } = header;
  if (typeof alg !== 'string') return refused('MALFORMED');
  if (alg.toLowerCase() === 'none') return refused('ALG_NOT_ALLOWED');
  for (const member of FORBIDDEN_HEADER_MEMBERS) {
    if (Object.hasOwn(header, member)) return refused('MALFORMED');
  }
  if (kid === undefined) return refused('UNKNOWN_KID');
  if (typeof kid !== 'string') return refused('MALFORMED');
  if (kid.length === 0 || kid.length > MAX_KID_LENGTH) return refused('UNKNOWN_KID');
  return { ok: true, header, alg, kid, signatureEmpty: match[2] === '' };
}

function refused(reason: ValidationReasonCode): RefusedHeader {
  return { ok: false, reason };
}

function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  // A length of 4n+1 cannot come from any byte string: not base64url.
  if (segment.length % 4 === 1) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(Buffer.from(segment, 'base64url')));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
}
