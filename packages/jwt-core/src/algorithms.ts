/**
 * The closed set of JWS algorithms tessera signs and verifies with, and what each one demands
 * of its key. Anything outside this list (`none`, ES512, PS384…) is refused everywhere.
 */

/** A JWS `alg` tessera supports. */
export type SigningAlgorithm =
  | 'ES256'
  | 'ES384'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'EdDSA'
  | 'HS256'
  | 'HS384'
  | 'HS512';

/** Every supported algorithm, in the order operators see them listed. */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = Object.freeze([
  'ES256',
  'ES384',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'EdDSA',
  'HS256',
  'HS384',
  'HS512',
] as const);

/** True when `value` names a supported algorithm. */
export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return typeof value === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

/** What an algorithm needs from its key, and how node:crypto computes its signature. */
export interface AlgorithmSpec {
  /** The JWK `kty` the key must have. */
  readonly kty: 'EC' | 'OKP' | 'RSA' | 'oct';
  /** The JWK `crv` the key must have (EC and OKP only). */
  readonly crv: 'P-256' | 'P-384' | 'Ed25519' | undefined;
  /** The digest node:crypto applies; undefined for Ed25519, which hashes internally. */
  readonly digest: 'sha256' | 'sha384' | 'sha512' | undefined;
  /** Length of the digest output: an HMAC secret shorter than this weakens the MAC (RFC 7518 §3.2). */
  readonly hashBytes: 32 | 48 | 64;
}

const SPECS: Readonly<Record<SigningAlgorithm, AlgorithmSpec>> = Object.freeze({
  ES256: { kty: 'EC', crv: 'P-256', digest: 'sha256', hashBytes: 32 },
  ES384: { kty: 'EC', crv: 'P-384', digest: 'sha384', hashBytes: 48 },
  RS256: { kty: 'RSA', crv: undefined, digest: 'sha256', hashBytes: 32 },
  RS384: { kty: 'RSA', crv: undefined, digest: 'sha384', hashBytes: 48 },
  RS512: { kty: 'RSA', crv: undefined, digest: 'sha512', hashBytes: 64 },
  PS256: { kty: 'RSA', crv: undefined, digest: 'sha256', hashBytes: 32 },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', digest: undefined, hashBytes: 64 },
  HS256: { kty: 'oct', crv: undefined, digest: 'sha256', hashBytes: 32 },
  HS384: { kty: 'oct', crv: undefined, digest: 'sha384', hashBytes: 48 },
  HS512: { kty: 'oct', crv: undefined, digest: 'sha512', hashBytes: 64 },
});

/** The key requirements of `alg`. */
export function algorithmSpec(alg: SigningAlgorithm): AlgorithmSpec {
  return SPECS[alg];
}

/** True for the HMAC algorithms, whose keys are secrets and never published. */
export function isSymmetric(alg: SigningAlgorithm): boolean {
  return SPECS[alg].kty === 'oct';
}

/** The smallest RSA modulus accepted, in bits (NIST SP 800-131A; jose enforces the same). */
export const MIN_RSA_MODULUS_BITS = 2048;
