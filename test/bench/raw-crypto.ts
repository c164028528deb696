/**
 * Sign and verify operations for the raw-crypto limits: jose (WebCrypto) and node:crypto
 * primitives, beside tessera's own Keyring.sign and TokenVerifier.verify, all with keys
 * imported once so that only the per-token work is measured.
 */
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  type KeyObject,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import { systemClock } from '@tessera/clock';
import {
  generateKeyEntry,
  type KeyFileEntry,
  Keyring,
  TokenVerifier,
  type VerificationProfile,
} from '@tessera/jwt-core';
import { importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import type { Operation } from './load.js';

/** The algorithms the bench compares: one of each key type tessera supports. */
export const BENCH_ALGORITHMS = ['ES256', 'RS256', 'EdDSA', 'HS256'] as const;
export type BenchAlgorithm = (typeof BENCH_ALGORITHMS)[number];

/** One measured crypto operation. */
export interface CryptoCase {
  readonly alg: BenchAlgorithm;
  readonly op: 'sign' | 'verify';
  readonly implementation: string;
  /** True for primitives (the limit); false for tessera code measured against them. */
  readonly raw: boolean;
  readonly run: Operation;
}

const ISSUER = 'https://bench.example';

/** Builds every case, with fresh keys, after checking each verifier accepts the token. */
export async function createCryptoCases(): Promise<CryptoCase[]> {
  const entries = await Promise.all(
    BENCH_ALGORITHMS.map((alg) => generateKeyEntry(alg, { kid: `bench-${alg}` })),
  );
  const keyring = await Keyring.fromEntries(entries);
  const verifier = new TokenVerifier({
    keys: () => keyring.verificationKeys(),
    clock: systemClock,
  });
  // The same profile through jose (WebCrypto): what the node:crypto engine is measured against.
  const joseVerifier = new TokenVerifier({
    keys: () => keyring.verificationKeys(),
    clock: systemClock,
    engine: 'jose',
  });
  const cases: CryptoCase[] = [];
  for (const [index, alg] of BENCH_ALGORITHMS.entries()) {
    const entry = entries[index];
    if (entry !== undefined) {
      cases.push(...(await casesFor(alg, entry, keyring, verifier, joseVerifier)));
    }
  }
  return cases;
}

async function casesFor(
  alg: BenchAlgorithm,
  entry: KeyFileEntry,
  keyring: Keyring,
  verifier: TokenVerifier,
  joseVerifier: TokenVerifier,
): Promise<CryptoCase[]> {
  const { kid } = entry;
  const publicJwk = keyring.get(kid)?.publicJwk ?? entry.jwk;
  const joseSigningKey = await importJWK({ ...entry.jwk } as JWK, alg);
  const joseVerifyKey = await importJWK({ ...publicJwk } as JWK, alg);
  const node = nodeKeys(entry, publicJwk);

  const iat = Math.floor(Date.now() / 1000);
  // The shape of a vended access token, so sizes match what the issuer signs.
  const payload = {
    iss: ISSUER,
    sub: 'bench-user',
    aud: 'bench-api',
    iat,
    exp: iat + 3600,
    jti: '0b7c5d1e-3f4a-4b6c-9d8e-7f6a5b4c3d2e',
    amr: ['none'],
  };
  const header = { alg, kid, typ: 'JWT' };
  const token = await keyring.sign(kid, payload);
  const signingInput = token.slice(0, token.lastIndexOf('.'));
  const profile: VerificationProfile = {
    tenantId: 'bench',
    issuer: ISSUER,
    keyIds: [kid],
    clockToleranceSeconds: 30,
    audiences: [],
  };

  const nodeVerify = async () => {
    if (!node.verify(token)) throw new Error(`node:crypto refused the ${alg} token`);
  };
  const tesseraVerify = async () => {
    const result = await verifier.verify(token, profile);
    if (!result.valid) throw new Error(`TokenVerifier refused the ${alg} token: ${result.reason}`);
  };
  const tesseraJoseVerify = async () => {
    const result = await joseVerifier.verify(token, profile);
    if (!result.valid) throw new Error(`TokenVerifier (jose) refused the ${alg} token`);
  };
  // A verifier that refuses its own token would make every figure below meaningless.
  await nodeVerify();
  await tesseraVerify();
  await tesseraJoseVerify();
  await jwtVerify(token, joseVerifyKey, { algorithms: [alg] });

  return [
    {
      alg,
      op: 'sign',
      implementation: 'jose SignJWT',
      raw: true,
      run: () => new SignJWT(payload).setProtectedHeader(header).sign(joseSigningKey),
    },
    {
      alg,
      op: 'sign',
      implementation: 'node:crypto sign',
      raw: true,
      run: async () => node.sign(signingInput),
    },
    {
      alg,
      op: 'sign',
      implementation: 'tessera Keyring.sign',
      raw: false,
      run: () => keyring.sign(kid, payload),
    },
    {
      alg,
      op: 'verify',
      implementation: 'jose jwtVerify',
      raw: true,
      run: () => jwtVerify(token, joseVerifyKey, { algorithms: [alg] }),
    },
    {
      alg,
      op: 'verify',
      implementation: 'node:crypto verify',
      raw: true,
      run: nodeVerify,
    },
    {
      alg,
      op: 'verify',
      implementation: 'tessera TokenVerifier',
      raw: false,
      run: tesseraVerify,
    },
    {
      alg,
      op: 'verify',
      implementation: 'tessera TokenVerifier, jose engine',
      raw: false,
      run: tesseraJoseVerify,
    },
  ];
}

interface NodeKeys {
  /** The signature of a JWS signing input (no encoding, no JSON). */
  sign(signingInput: string): Buffer;
  /** Checks only the signature of a compact JWS. */
  verify(token: string): boolean;
}

/** The bare node:crypto calls a JWS needs: the floor any JWT library builds on. */
function nodeKeys(entry: KeyFileEntry, publicJwk: Readonly<Record<string, unknown>>): NodeKeys {
  const split = (token: string) => {
    const dot = token.lastIndexOf('.');
    return {
      input: Buffer.from(token.slice(0, dot), 'ascii'),
      signature: Buffer.from(token.slice(dot + 1), 'base64url'),
    };
  };
  if (entry.alg === 'HS256') {
    const secret = createSecretKey(Buffer.from(String(entry.jwk.k), 'base64url'));
    const mac = (input: string | Buffer) => createHmac('sha256', secret).update(input).digest();
    return {
      sign: mac,
      verify: (token) => {
        const { input, signature } = split(token);
        const expected = mac(input);
        return signature.length === expected.length && timingSafeEqual(signature, expected);
      },
    };
  }
  const privateKey = createPrivateKey({ key: { ...entry.jwk }, format: 'jwk' });
  const publicKey = createPublicKey({ key: { ...publicJwk }, format: 'jwk' });
  // EdDSA hashes internally (no digest); ECDSA in JWS is r||s, not OpenSSL's DER.
  const digest = entry.alg === 'EdDSA' ? null : 'sha256';
  const options = (key: KeyObject) =>
    entry.alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : { key };
  return {
    sign: (signingInput) => sign(digest, Buffer.from(signingInput, 'ascii'), options(privateKey)),
    verify: (token) => {
      const { input, signature } = split(token);
      return verify(digest, input, options(publicKey), signature);
    },
  };
}
