/**
 * Fresh keys for the CLI's rotation commands and the development realm, in keys-file shape.
 */
import { generateKeyPair, type KeyObject, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { invalidArgument } from '@tessera/errors';
import { algorithmSpec, MIN_RSA_MODULUS_BITS, type SigningAlgorithm } from './algorithms.js';
import type { KeyFileEntry, KeyState } from './key-file.js';
import { MAX_KID_LENGTH } from './limits.js';

const generatePair = promisify(generateKeyPair);

/** Options of generateKeyEntry. */
export interface GenerateKeyOptions {
  /** Defaults to 128 random bits, base64url. */
  readonly kid?: string;
  /** Defaults to `current`. */
  readonly state?: KeyState;
  /** RSA modulus in bits; defaults to 2048, never less. */
  readonly modulusLength?: number;
}

/**
 * Generates a private key for `alg`: P-256/P-384/Ed25519 pairs, RSA of `modulusLength` bits
 * (default 2048), or an HMAC secret as long as the hash output.
 */
export async function generateKeyEntry(
  alg: SigningAlgorithm,
  options: GenerateKeyOptions = {},
): Promise<KeyFileEntry> {
  const kid = options.kid ?? randomBytes(16).toString('base64url');
  if (kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    throw invalidArgument('kid', `kid must be 1 to ${MAX_KID_LENGTH} characters`);
  }
  const modulusLength = options.modulusLength ?? MIN_RSA_MODULUS_BITS;
  if (!Number.isInteger(modulusLength) || modulusLength < MIN_RSA_MODULUS_BITS) {
    throw invalidArgument(
      'modulusLength',
      `modulusLength must be an integer of at least ${MIN_RSA_MODULUS_BITS}`,
    );
  }
  const material = await generateMaterial(alg, modulusLength);
  return Object.freeze({
    kid,
    alg,
    state: options.state ?? 'current',
    jwk: Object.freeze({ ...material, kid, alg }),
  });
}

async function generateMaterial(
  alg: SigningAlgorithm,
  modulusLength: number,
): Promise<Record<string, unknown>> {
  const spec = algorithmSpec(alg);
  switch (spec.kty) {
    case 'oct':
      return { kty: 'oct', k: randomBytes(spec.hashBytes).toString('base64url') };
    case 'EC':
      return exportPrivate(
        (await generatePair('ec', { namedCurve: spec.crv ?? 'P-256' })).privateKey,
      );
    case 'OKP':
      return exportPrivate((await generatePair('ed25519')).privateKey);
    case 'RSA':
      return exportPrivate(
        (await generatePair('rsa', { modulusLength, publicExponent: 0x10001 })).privateKey,
      );
  }
}

function exportPrivate(key: KeyObject): Record<string, unknown> {
  return { ...key.export({ format: 'jwk' }) };
}
