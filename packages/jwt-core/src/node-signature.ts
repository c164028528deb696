/**
 * JWS signature checks with node:crypto, for the verifier's fast path (token-verifier.ts).
 * jose verifies through WebCrypto, which on Node 20 costs about twice as much CPU per ES256
 * verification (each call crosses into a thread-pool job and back, through several layers);
 * node:crypto verifies in place (verifySignature), or hands the hashing and the arithmetic to
 * the thread pool in one job (verifySignatureOnPool) for ~15% more CPU in all. The outcome
 * must be jose's for every input: the same parameters per algorithm (PSS with a salt as long
 * as the hash, as WebCrypto's PS256; raw r‖s ECDSA signatures, whose length alone rules a
 * signature out; a constant-time HMAC comparison), and the key must be of the algorithm's
 * type, or the call fails, as jose does for a key of the wrong kind.
 */
import {
  constants,
  createHmac,
  createSecretKey,
  KeyObject,
  timingSafeEqual,
  type VerifyKeyObjectInput,
  verify,
} from 'node:crypto';
import type { CryptoKey } from 'jose';
import { algorithmSpec, type SigningAlgorithm } from './algorithms.js';

/** What the verification keys hold (CryptoKey for jose, or raw HMAC bytes). */
export type ImportedKey = CryptoKey | Uint8Array;

/** ECDSA: the r‖s signature length of each curve, in bytes. */
const ECDSA_SIGNATURE_BYTES: Readonly<Record<string, number>> = { ES256: 64, ES384: 96 };

// One KeyObject per imported key, made on first use: the key sets are rebuilt only when keys
// change, so the conversion is paid once per key, not once per token.
const keyObjects = new WeakMap<ImportedKey, KeyObject>();

/** The node:crypto key of an imported verification key. */
export function keyObjectOf(key: ImportedKey): KeyObject {
  let keyObject = keyObjects.get(key);
  if (keyObject === undefined) {
    keyObject = key instanceof Uint8Array ? createSecretKey(key) : KeyObject.from(key);
    keyObjects.set(key, keyObject);
  }
  return keyObject;
}

/**
 * Whether `signature` is a valid `alg` signature of `signingInput` under `key`, checked on the
 * calling thread. A signature the primitive cannot even parse is not valid (false), as it is
 * for WebCrypto.
 */
export function verifySignature(
  alg: SigningAlgorithm,
  key: KeyObject,
  signingInput: Buffer,
  signature: Buffer,
): boolean {
  const job = signatureJob(alg, key, signingInput, signature);
  if (typeof job === 'boolean') return job;
  try {
    return verify(job.digest, signingInput, job.input, signature);
  } catch {
    // jose turns a failure of the primitive into a failed verification too.
    return false;
  }
}

/**
 * {@link verifySignature} with the hashing and the public-key arithmetic on libuv's thread
 * pool: the calling thread pays ~8 µs per ES256 signature instead of ~47 µs, for ~15% more
 * CPU in all. A process that answers many concurrent first-seen tokens on one event loop (the
 * sidecar) gets its loop back for the calls around them. HMAC stays on the calling thread: it
 * costs less than the hop. Same answers as verifySignature for every input; a key of the wrong
 * kind rejects the promise, as it makes verifySignature throw.
 */
export function verifySignatureOnPool(
  alg: SigningAlgorithm,
  key: KeyObject,
  signingInput: Buffer,
  signature: Buffer,
): Promise<boolean> {
  let job: boolean | AsymmetricInput;
  try {
    job = signatureJob(alg, key, signingInput, signature);
  } catch (error) {
    return Promise.reject(error);
  }
  if (typeof job === 'boolean') return Promise.resolve(job);
  const { digest, input } = job;
  return new Promise((resolve) => {
    try {
      verify(digest, signingInput, input, signature, (error, valid) => {
        resolve(error === null && valid);
      });
    } catch {
      resolve(false);
    }
  });
}

/**
 * What both ways of verifying do first, so they cannot drift apart: the key must serve `alg`
 * (throws otherwise), an HMAC is settled at once, as is an ECDSA signature of the wrong
 * length; anything else is the public-key check node:crypto's `verify` is to run.
 */
function signatureJob(
  alg: SigningAlgorithm,
  key: KeyObject,
  signingInput: Buffer,
  signature: Buffer,
): boolean | AsymmetricInput {
  assertKeyServes(alg, key);
  if (isHmac(alg)) return hmacMatches(alg, key, signingInput, signature);
  if (!lengthFits(alg, signature)) return false;
  return asymmetricInput(alg, key);
}

function isHmac(alg: SigningAlgorithm): alg is 'HS256' | 'HS384' | 'HS512' {
  return alg === 'HS256' || alg === 'HS384' || alg === 'HS512';
}

/** A constant-time comparison with the expected HMAC. */
function hmacMatches(
  alg: 'HS256' | 'HS384' | 'HS512',
  key: KeyObject,
  signingInput: Buffer,
  signature: Buffer,
): boolean {
  const expected = createHmac(algorithmSpec(alg).digest ?? 'sha256', key)
    .update(signingInput)
    .digest();
  return expected.length === signature.length && timingSafeEqual(expected, signature);
}

/** ECDSA signatures are raw r‖s, so a wrong length alone rules one out. */
function lengthFits(alg: SigningAlgorithm, signature: Buffer): boolean {
  const expected = ECDSA_SIGNATURE_BYTES[alg];
  return expected === undefined || signature.length === expected;
}

/** node:crypto's digest and key options for an asymmetric algorithm. */
interface AsymmetricInput {
  readonly digest: string | null;
  readonly input: VerifyKeyObjectInput;
}

/** The AsymmetricInput of `alg`: jose's parameters. */
function asymmetricInput(alg: SigningAlgorithm, key: KeyObject): AsymmetricInput {
  // Ed25519 hashes internally: its digest is null.
  const digest = algorithmSpec(alg).digest ?? null;
  switch (alg) {
    case 'ES256':
    case 'ES384':
      return { digest, input: { key, dsaEncoding: 'ieee-p1363' } };
    case 'PS256':
      return {
        digest,
        input: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
      };
    case 'RS256':
    case 'RS384':
    case 'RS512':
      return { digest, input: { key, padding: constants.RSA_PKCS1_PADDING } };
    default:
      return { digest, input: { key } };
  }
}

/** Throws unless `key` is of the kind `alg` needs: a key-set bug, never a token's fault. */
function assertKeyServes(alg: SigningAlgorithm, key: KeyObject): void {
  const spec = algorithmSpec(alg);
  const type = key.type === 'secret' ? 'secret' : key.asymmetricKeyType;
  const fits =
    spec.kty === 'oct'
      ? type === 'secret'
      : spec.kty === 'EC'
        ? type === 'ec' && key.asymmetricKeyDetails?.namedCurve === namedCurveOf(spec.crv)
        : spec.kty === 'OKP'
          ? type === 'ed25519'
          : alg === 'PS256'
            ? type === 'rsa' || type === 'rsa-pss'
            : type === 'rsa';
  if (!fits) {
    throw new TypeError(`a ${String(type)} key cannot verify ${alg}`);
  }
}

function namedCurveOf(crv: string | undefined): string | undefined {
  return crv === 'P-256' ? 'prime256v1' : crv === 'P-384' ? 'secp384r1' : undefined;
}
