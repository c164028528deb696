/**
 * Admission checks for key material: a key is refused before it can sign or verify anything
 * when it is weak (short RSA modulus, short HMAC secret), labelled with an algorithm its type
 * cannot serve, or missing the part its role needs. node:crypto parses the JWK, so a key that
 * passes here is one OpenSSL accepts.
 */
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { TesseraError } from '@tessera/errors';
import { algorithmSpec, MIN_RSA_MODULUS_BITS, type SigningAlgorithm } from './algorithms.js';

/** JWK members that carry private key material; none may leave the issuer. */
export const PRIVATE_JWK_MEMBERS: readonly string[] = Object.freeze([
  'd',
  'p',
  'q',
  'dp',
  'dq',
  'qi',
  'oth',
  'k',
  'priv',
]);

/** The members node:crypto needs to build a key: anything else (use, key_ops…) is left out. */
const MATERIAL_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Where a key came from, for error messages that let an operator find it. */
export interface KeyOrigin {
  readonly kid: string;
  /** Path of the key in its input (`keys[2]`). */
  readonly field: string;
}

/** A private key that passed admission, ready for node:crypto. */
export interface AdmittedPrivateKey {
  /** The private key, or the HMAC secret. */
  readonly privateKey: KeyObject;
  /** The public half; undefined for HMAC. */
  readonly publicKey: KeyObject | undefined;
}

/** The refusal every check throws: INVALID_ARGUMENT naming the kid and where it sits. */
export function keyRefused(origin: KeyOrigin, reason: string): TesseraError {
  return new TesseraError('INVALID_ARGUMENT', `${origin.field}: key "${origin.kid}" ${reason}`, {
    field: origin.field,
    metadata: { kid: origin.kid },
  });
}

/** Checks a private (or HMAC) JWK against its algorithm and imports it. */
export function admitPrivateJwk(
  jwk: Readonly<Record<string, unknown>>,
  alg: SigningAlgorithm,
  origin: KeyOrigin,
): AdmittedPrivateKey {
  checkLabels(jwk, alg, origin);
  const spec = algorithmSpec(alg);
  if (spec.kty === 'oct') {
    const secret = decodeMember(jwk, 'k', origin);
    if (secret === undefined) throw keyRefused(origin, 'has no secret "k"');
    if (secret.length < spec.hashBytes) {
      throw keyRefused(
        origin,
        `is too weak: ${alg} needs a secret of at least ${spec.hashBytes} bytes, got ${secret.length}`,
      );
    }
    return { privateKey: createSecretKey(secret), publicKey: undefined };
  }
  if (typeof jwk.d !== 'string') throw keyRefused(origin, 'has no private part ("d")');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: material(jwk), format: 'jwk' });
  } catch (cause) {
    throw keyRefused(origin, `is not a valid ${spec.kty} private key: ${describe(cause)}`);
  }
  checkParsedKey(privateKey, alg, origin);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** Checks a public JWK (as pushed to sidecars) against its algorithm and imports it. */
export function admitPublicJwk(
  jwk: Readonly<Record<string, unknown>>,
  alg: SigningAlgorithm,
  origin: KeyOrigin,
): KeyObject {
  const spec = algorithmSpec(alg);
  if (spec.kty === 'oct')
    throw keyRefused(origin, 'is an HMAC secret; secrets are never published');
  for (const member of PRIVATE_JWK_MEMBERS) {
    if (Object.hasOwn(jwk, member)) {
      throw keyRefused(origin, `carries private member "${member}"; only public keys are accepted`);
    }
  }
  checkLabels(jwk, alg, origin);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: material(jwk), format: 'jwk' });
  } catch (cause) {
    throw keyRefused(origin, `is not a valid ${spec.kty} public key: ${describe(cause)}`);
  }
  checkParsedKey(publicKey, alg, origin);
  return publicKey;
}

/** kty, crv, and any alg/use the JWK states itself must agree with the algorithm it serves. */
function checkLabels(
  jwk: Readonly<Record<string, unknown>>,
  alg: SigningAlgorithm,
  origin: KeyOrigin,
): void {
  const spec = algorithmSpec(alg);
  if (jwk.kty !== spec.kty) {
    throw keyRefused(origin, `has kty ${String(jwk.kty)}, but ${alg} needs kty ${spec.kty}`);
  }
  if (spec.crv !== undefined && jwk.crv !== spec.crv) {
    throw keyRefused(origin, `has crv ${String(jwk.crv)}, but ${alg} needs crv ${spec.crv}`);
  }
  if (jwk.alg !== undefined && jwk.alg !== alg) {
    throw keyRefused(origin, `states alg ${String(jwk.alg)} but is used for ${alg}`);
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') {
    throw keyRefused(origin, `has use ${String(jwk.use)}; signing keys need use "sig"`);
  }
}

/** What OpenSSL parsed must be what the labels promised, and strong enough. */
function checkParsedKey(key: KeyObject, alg: SigningAlgorithm, origin: KeyOrigin): void {
  const spec = algorithmSpec(alg);
  const details = key.asymmetricKeyDetails ?? {};
  const expectedType = spec.kty === 'RSA' ? 'rsa' : spec.kty === 'OKP' ? 'ed25519' : 'ec';
  if (key.asymmetricKeyType !== expectedType) {
    throw keyRefused(origin, `is a ${String(key.asymmetricKeyType)} key, not usable for ${alg}`);
  }
  if (spec.kty === 'RSA') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_MODULUS_BITS) {
      throw keyRefused(
        origin,
        `is too weak: RSA modulus of ${bits} bits, at least ${MIN_RSA_MODULUS_BITS} required`,
      );
    }
  }
}

function material(jwk: Readonly<Record<string, unknown>>): JsonWebKey {
  const picked: JsonWebKey = {};
  for (const member of MATERIAL_MEMBERS) {
    if (Object.hasOwn(jwk, member)) picked[member] = jwk[member];
  }
  return picked;
}

function decodeMember(
  jwk: Readonly<Record<string, unknown>>,
  member: string,
  origin: KeyOrigin,
): Buffer | undefined {
  const value = jwk[member];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !BASE64URL.test(value) || value.length % 4 === 1) {
    throw keyRefused(origin, `has a "${member}" that is not base64url`);
  }
  return Buffer.from(value, 'base64url');
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
