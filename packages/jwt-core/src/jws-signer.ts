/**
 * Compact JWS signing with node:crypto. ECDSA signatures use the IEEE P1363 encoding (r||s,
 * fixed length) that JWS requires, not the DER that OpenSSL produces by default; PS256 uses a
 * salt as long as its hash (RFC 7518 §3.5).
 */
import { constants, createHmac, type KeyObject, sign } from 'node:crypto';
import { algorithmSpec, type SigningAlgorithm } from './algorithms.js';

/** Computes the signature of a JWS signing input. */
export type JwsSigner = (signingInput: Buffer) => Buffer;

/** A signer for `alg` bound to an admitted private key (or HMAC secret). */
export function createJwsSigner(alg: SigningAlgorithm, key: KeyObject): JwsSigner {
  const { digest, kty } = algorithmSpec(alg);
  if (kty === 'oct') {
    const hash = digest ?? 'sha256';
    return (input) => createHmac(hash, key).update(input).digest();
  }
  if (kty === 'EC') {
    return (input) => sign(digest ?? null, input, { key, dsaEncoding: 'ieee-p1363' });
  }
  if (alg === 'PS256') {
    return (input) =>
      sign(digest ?? null, input, {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: algorithmSpec(alg).hashBytes,
      });
  }
  return (input) => sign(digest ?? null, input, key);
}

/** base64url of the JSON of a value: a JWS header or payload segment. */
export function encodeSegment(value: Readonly<Record<string, unknown>>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Builds `header.payload.signature`. */
export function signCompact(
  signer: JwsSigner,
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
): string {
  return signWithHeaderSegment(signer, encodeSegment(header), payload);
}

/** Builds `header.payload.signature` from a header already encoded (one per key, not per token). */
export function signWithHeaderSegment(
  signer: JwsSigner,
  headerSegment: string,
  payload: Readonly<Record<string, unknown>>,
): string {
  const signingInput = `${headerSegment}.${encodeSegment(payload)}`;
  const signature = signer(Buffer.from(signingInput, 'ascii')).toString('base64url');
  return `${signingInput}.${signature}`;
}
