/**
 * Keys a TokenVerifier checks signatures with, imported once for WebCrypto so verification
 * does no parsing. Sidecars and the gateway build their set from the public JWKs pushed by
 * the issuer's WatchKeys stream; the issuer builds its own from its keyring.
 */
import type { KeyObject } from 'node:crypto';
import { TesseraError } from '@tessera/errors';
import { type CryptoKey, importJWK } from 'jose';
import { isSigningAlgorithm, isSymmetric, type SigningAlgorithm } from './algorithms.js';
import { admitPublicJwk } from './key-checks.js';
import { MAX_KID_LENGTH } from './limits.js';

/** One key a token may be verified with; only tokens whose header `alg` equals `alg` use it. */
export interface VerificationKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** Pre-imported for jose's jwtVerify. */
  readonly key: CryptoKey | Uint8Array;
}

/** Keys by kid. Lookups are exact Map gets, so a kid like `__proto__` is simply unknown. */
export interface VerificationKeySet {
  get(kid: string): VerificationKey | undefined;
}

/** A VerificationKeySet over the given keys; a later duplicate kid is refused. */
export function createVerificationKeySet(keys: Iterable<VerificationKey>): VerificationKeySet {
  const byKid = new Map<string, VerificationKey>();
  for (const key of keys) {
    if (byKid.has(key.kid)) {
      throw new TesseraError('INVALID_ARGUMENT', `duplicate kid "${key.kid}"`, {
        metadata: { kid: key.kid },
      });
    }
    byKid.set(key.kid, Object.freeze({ ...key }));
  }
  return Object.freeze({ get: (kid: string) => byKid.get(kid) });
}

/**
 * Imports public JWKs into a VerificationKeySet. Each needs a `kid` and a supported
 * asymmetric `alg` its key type can serve; HMAC secrets, private members, weak RSA keys and
 * duplicate kids are refused with INVALID_ARGUMENT naming `keys[i]`.
 */
export async function importPublicKeys(
  jwks: readonly Readonly<Record<string, unknown>>[],
): Promise<VerificationKeySet> {
  const keys: VerificationKey[] = [];
  const seen = new Set<string>();
  for (const [index, jwk] of jwks.entries()) {
    const field = `keys[${index}]`;
    const { kid, alg } = jwk;
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
      throw new TesseraError(
        'INVALID_ARGUMENT',
        `${field}.kid: must be a string of 1 to ${MAX_KID_LENGTH} characters`,
        {
          field: `${field}.kid`,
        },
      );
    }
    if (!isSigningAlgorithm(alg) || isSymmetric(alg)) {
      throw new TesseraError(
        'INVALID_ARGUMENT',
        `${field}.alg: key "${kid}" has unsupported alg ${String(alg)}`,
        {
          field: `${field}.alg`,
          metadata: { kid },
        },
      );
    }
    if (seen.has(kid)) {
      throw new TesseraError('INVALID_ARGUMENT', `${field}.kid: duplicate kid "${kid}"`, {
        field: `${field}.kid`,
        metadata: { kid },
      });
    }
    seen.add(kid);
    const publicKey = admitPublicJwk(jwk, alg, { kid, field });
    keys.push({ kid, alg, key: await importForVerify(publicKey, alg) });
  }
  return createVerificationKeySet(keys);
}

/** Imports an admitted public key (or HMAC secret) as a non-extractable WebCrypto key. */
export async function importForVerify(key: KeyObject, alg: SigningAlgorithm): Promise<CryptoKey> {
  if (key.type === 'secret') {
    const hash = `SHA-${alg.slice(2)}`;
    return globalThis.crypto.subtle.importKey('raw', key.export(), { name: 'HMAC', hash }, false, [
      'verify',
    ]);
  }
  const imported = await importJWK(key.export({ format: 'jwk' }), alg);
  if (imported instanceof Uint8Array) throw new Error(`${alg} key imported as a secret`);
  return imported;
}
