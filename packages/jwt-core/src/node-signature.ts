/**
 * JWS signature checks with node:crypto, for the verifier's fast path (token-verifier.ts).
 * jose verifies through WebCrypto, which on Node 20 costs about twice as much CPU per ES256
 * verification (each call crosses into a thread-pool job and back); node:crypto verifies in
 * place. The outcome must be jose's for every input: the same parameters per algorithm (PSS
 * with a salt as long as the hash, as WebCrypto's PS256; raw r‖s ECDSA signatures, whose
 * length alone rules a signature out; a constant-time HMAC comparison), and the key must be
 * of the algorithm's type, or the call throws, as jose does for a key of the wrong kind.
 */
import {
  constants,
  createHmac,
  createSecretKey,
  KeyObject,
  timingSafeEqual,
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
 * Whether `signature` is a valid `alg` signature of `signingInput` under `key`. A signature
 * the primitive cannot even parse is not valid (false), as it is for WebCrypto.
 */
export function verifySignature(
  alg: SigningAlgorithm,
  key: KeyObject,
  signingInput: Buffer,
  signature: Buffer,
): boolean {
  assertKeyServes(alg, key);
  const { digest } = algorithmSpec(alg);
  try {
    switch (alg) {
      case 'ES256':
      case 'ES384':
        if (signature.length !== ECDSA_SIGNATURE_BYTES[alg]) return false;
        return verify(digest, signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'RS256':
      case 'RS384':
      case 'RS512':
        return verify(
          digest,
          signingInput,
          { key, padding: constants.RSA_PKCS1_PADDING },
          signature,
        );
      case 'PS256':
        return verify(
          digest,
          signingInput,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
          signature,
        );
      case 'EdDSA':
        return verify(null, signingInput, key, signature);
      case 'HS256':
      case 'HS384':
      case 'HS512': {
        const expected = createHmac(digest ?? 'sha256', key)
          .update(signingInput)
          .digest();
        return expected.length === signature.length && timingSafeEqual(expected, signature);
      }
    }
  } catch {
    // jose turns a failure of the primitive into a failed verification too.
    return false;
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
