/**
 * @tessera/jwt-core: the signing keyring and the one token verification profile shared by the
 * issuer (signing, Validate), the gateway and the sidecar (verification from pushed keys).
 */
export {
  isSigningAlgorithm,
  isSymmetric,
  MIN_RSA_MODULUS_BITS,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
} from './algorithms.js';
export { type GenerateKeyOptions, generateKeyEntry } from './generate-key.js';
export { PRIVATE_JWK_MEMBERS } from './key-checks.js';
export {
  KEY_STATES,
  type KeyFileEntry,
  type KeyState,
  parseKeyFile,
  toKeyFileJson,
} from './key-file.js';
export { Keyring, type KeyringKey } from './keyring.js';
export { DEFAULT_MAX_TOKEN_LENGTH, MAX_KID_LENGTH } from './limits.js';
export {
  VALIDATION_REASON_CODES,
  type ValidationReasonCode,
  type VerificationProfile,
  type VerifyResult,
} from './profile.js';
export { FORBIDDEN_HEADER_MEMBERS } from './token-header.js';
export {
  TokenVerifier,
  type TokenVerifierOptions,
  type VerificationEngine,
  type VerifyOptions,
} from './token-verifier.js';
export {
  createVerificationKeySet,
  importPublicKeys,
  type VerificationKey,
  type VerificationKeySet,
} from './verification-keys.js';
