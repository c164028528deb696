/**
 * The one verification profile (README, Token rules): the issuer's Validate RPC, the gateway and the
 * sidecar all verify through this class, so a token is judged the same everywhere. Cheap
 * structural checks run before any crypto; then the signature and the claims are checked,
 * by default with node:crypto (node-signature.ts, claims-rules.ts), about half the CPU of
 * jose's WebCrypto route on Node 20. jose stays as the reference: `engine: 'jose'` runs the
 * same checks through `jwtVerify`, and test/parity.test.ts requires both engines to answer
 * every case (valid tokens, every attack token, every claim rule) the same way.
 */
import type { Clock } from '@tessera/clock';
import { invalidArgument } from '@tessera/errors';
import { jwtVerify } from 'jose';
import { checkClaims } from './claims-rules.js';
import { reasonForJoseError } from './jose-error-reason.js';
import { DEFAULT_MAX_TOKEN_LENGTH } from './limits.js';
import { keyObjectOf, verifySignature, verifySignatureOnPool } from './node-signature.js';
import type { ValidationReasonCode, VerificationProfile, VerifyResult } from './profile.js';
import { checkHeader } from './token-header.js';
import type { VerificationKey, VerificationKeySet } from './verification-keys.js';

/**
 * What checks a signature and the claims once the structural checks have passed: node:crypto
 * on the calling thread (the default); node:crypto with the public-key arithmetic on libuv's
 * thread pool (`node-crypto-pool`: the event loop pays a fraction of each signature, so a
 * process answering many first-seen tokens at once keeps its loop for the rest; HMAC stays
 * inline); or jose's `jwtVerify`, the reference the parity test holds both to.
 */
export type VerificationEngine = 'node-crypto' | 'node-crypto-pool' | 'jose';

/** Options of a TokenVerifier. */
export interface TokenVerifierOptions {
  /** The current key set, read on every call: a reload swaps it without a new verifier. */
  readonly keys: () => VerificationKeySet;
  readonly clock: Clock;
  /** Longer tokens are MALFORMED unread; default 8192 characters. */
  readonly maxTokenLength?: number;
  /**
   * Consulted last, with the verified claims and the tenant's profile (revocations are per
   * tenant): true makes the token REVOKED.
   */
  readonly isRevoked?: (
    claims: Readonly<Record<string, unknown>>,
    profile: VerificationProfile,
  ) => boolean;
  /** Default `node-crypto`; see {@link VerificationEngine}. */
  readonly engine?: VerificationEngine;
  /**
   * `node-crypto-pool` only: signatures waiting on the thread pool at most (default 16). Beyond
   * it a signature is checked on the calling thread, which holds the caller back as the inline
   * engine does, instead of letting a flood of first-seen tokens queue without bound (each
   * holding its request) behind the pool's few threads.
   */
  readonly maxPoolWaiting?: number;
}

/** Per-call options of TokenVerifier.verify. */
export interface VerifyOptions {
  /** An audience the caller requires, on top of the profile's audiences: both must hold. */
  readonly audience?: string;
}

/** Verifies compact JWS access tokens against a tenant's VerificationProfile. */
export class TokenVerifier {
  readonly #keys: () => VerificationKeySet;
  readonly #clock: Clock;
  readonly #maxTokenLength: number;
  readonly #isRevoked: TokenVerifierOptions['isRevoked'];
  readonly #engine: VerificationEngine;
  readonly #maxPoolWaiting: number;
  #poolWaiting = 0;

  constructor(options: TokenVerifierOptions) {
    const maxTokenLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
    if (!Number.isInteger(maxTokenLength) || maxTokenLength < 1) {
      throw invalidArgument('maxTokenLength', 'maxTokenLength must be a positive integer');
    }
    this.#keys = options.keys;
    this.#clock = options.clock;
    this.#maxTokenLength = maxTokenLength;
    this.#isRevoked = options.isRevoked;
    this.#engine = options.engine ?? 'node-crypto';
    const maxPoolWaiting = options.maxPoolWaiting ?? DEFAULT_MAX_POOL_WAITING;
    if (!Number.isInteger(maxPoolWaiting) || maxPoolWaiting < 0) {
      throw invalidArgument('maxPoolWaiting', 'maxPoolWaiting must be a whole number');
    }
    this.#maxPoolWaiting = maxPoolWaiting;
  }

  /**
   * Verifies `token` for the tenant of `profile`. In order: length and shape (MALFORMED),
   * header rules (`alg: none` → ALG_NOT_ALLOWED; embedded keys, `crit`, `b64` → MALFORMED),
   * kid in the profile and the key set (UNKNOWN_KID), header alg equal to the key's alg
   * (ALG_NOT_ALLOWED; this is what defeats HS/RS confusion), an empty signature
   * (BAD_SIGNATURE), then signature, `iss`, `aud`, `nbf`, `exp` (required) with the profile's
   * clock tolerance, a `tid` naming another tenant (ISSUER_MISMATCH), and last revocation.
   * Never resolves to valid on an unexpected error: it rethrows instead. With the `jose` and
   * `node-crypto-pool` engines the key set may change while the signature is checked off the
   * calling thread; a caller that must answer under the keys in force at the end checks
   * whether they changed (as @tessera/local-validation does).
   */
  async verify(
    token: string,
    profile: VerificationProfile,
    options: VerifyOptions = {},
  ): Promise<VerifyResult> {
    const tolerance = profile.clockToleranceSeconds;
    if (!Number.isFinite(tolerance) || tolerance < 0) {
      throw invalidArgument(
        'clockToleranceSeconds',
        'clock tolerance must be a non-negative number',
      );
    }
    const checked = checkHeader(token, this.#maxTokenLength);
    if (!checked.ok) return refuse(checked.reason);
    const { kid } = checked;
    if (!profile.keyIds.includes(kid)) return refuse('UNKNOWN_KID', kid);
    const key = this.#keys().get(kid);
    if (key === undefined) return refuse('UNKNOWN_KID', kid);
    if (checked.alg !== key.alg) return refuse('ALG_NOT_ALLOWED', kid);
    if (checked.signatureEmpty) return refuse('BAD_SIGNATURE', kid);

    const verified =
      this.#engine === 'jose'
        ? await this.#verifyWithJose(token, key, profile)
        : this.#engine === 'node-crypto-pool' && this.#poolWaiting < this.#maxPoolWaiting
          ? await this.#verifyWithNodeCryptoOnPool(token, key, profile, checked.header)
          : this.#verifyWithNodeCrypto(token, key, profile, checked.header);
    if (!verified.ok) return refuse(verified.reason, kid);
    const { claims } = verified;
    // Every token tessera mints names its tenant in `tid`. A token naming another tenant is
    // that tenant's, whatever key signed it and whatever its `iss` says.
    if (claims.tid !== undefined && claims.tid !== profile.tenantId) {
      return refuse('ISSUER_MISMATCH', kid);
    }
    if (options.audience !== undefined && !hasAudience(claims.aud, options.audience)) {
      return refuse('AUDIENCE_MISMATCH', kid);
    }
    if (this.#isRevoked?.(claims, profile) === true) return refuse('REVOKED', kid);
    return { valid: true, claims, kid, header: verified.header };
  }

  /** Signature and claims through jose's jwtVerify (WebCrypto). */
  async #verifyWithJose(
    token: string,
    key: VerificationKey,
    profile: VerificationProfile,
  ): Promise<Checked> {
    try {
      const verified = await jwtVerify(token, key.key, {
        algorithms: [key.alg],
        issuer: profile.issuer,
        ...(profile.audiences.length > 0 ? { audience: [...profile.audiences] } : {}),
        clockTolerance: profile.clockToleranceSeconds,
        currentDate: new Date(this.#clock.now()),
        requiredClaims: ['exp'],
      });
      return { ok: true, claims: verified.payload, header: verified.protectedHeader };
    } catch (error) {
      const reason = reasonForJoseError(error);
      if (reason === undefined) throw error;
      return { ok: false, reason };
    }
  }

  /**
   * Signature and claims with node:crypto, in jose's order: the signature segment must decode
   * (MALFORMED), the signature must hold (BAD_SIGNATURE), then the payload must decode
   * (MALFORMED) and its claims pass claims-rules.ts. The header is the one checkHeader parsed.
   */
  #verifyWithNodeCrypto(
    token: string,
    key: VerificationKey,
    profile: VerificationProfile,
    header: Readonly<Record<string, unknown>>,
  ): Checked {
    const parts = signedParts(token);
    if (!parts.ok) return parts;
    if (!verifySignature(key.alg, keyObjectOf(key.key), parts.signingInput, parts.signature)) {
      return { ok: false, reason: 'BAD_SIGNATURE' };
    }
    return this.#checkClaims(parts.encodedPayload, profile, header);
  }

  /** {@link #verifyWithNodeCrypto}, the signature checked on the thread pool. */
  async #verifyWithNodeCryptoOnPool(
    token: string,
    key: VerificationKey,
    profile: VerificationProfile,
    header: Readonly<Record<string, unknown>>,
  ): Promise<Checked> {
    const parts = signedParts(token);
    if (!parts.ok) return parts;
    const { signingInput, signature } = parts;
    this.#poolWaiting += 1;
    let valid: boolean;
    try {
      valid = await verifySignatureOnPool(key.alg, keyObjectOf(key.key), signingInput, signature);
    } finally {
      this.#poolWaiting -= 1;
    }
    if (!valid) return { ok: false, reason: 'BAD_SIGNATURE' };
    return this.#checkClaims(parts.encodedPayload, profile, header);
  }

  /** The payload decoded (MALFORMED otherwise) and held to claims-rules.ts. */
  #checkClaims(
    encodedPayload: string,
    profile: VerificationProfile,
    header: Readonly<Record<string, unknown>>,
  ): Checked {
    if (encodedPayload.length % 4 === 1) return { ok: false, reason: 'MALFORMED' };
    const outcome = checkClaims(Buffer.from(encodedPayload, 'base64url'), {
      issuer: profile.issuer,
      audiences: profile.audiences,
      clockToleranceSeconds: profile.clockToleranceSeconds,
      nowMs: this.#clock.now(),
    });
    return outcome.ok ? { ok: true, claims: outcome.claims, header } : outcome;
  }
}

/**
 * A token's signing input, decoded signature and encoded payload. checkHeader has matched
 * three base64url segments, so both dots are there. A base64url text of length 4n+1 encodes
 * no byte string: jose refuses such a signature as malformed.
 */
function signedParts(token: string):
  | {
      readonly ok: true;
      readonly signingInput: Buffer;
      readonly signature: Buffer;
      readonly encodedPayload: string;
    }
  | { readonly ok: false; readonly reason: 'MALFORMED' } {
  const payloadStart = token.indexOf('.') + 1;
  const signatureStart = token.indexOf('.', payloadStart) + 1;
  const encodedSignature = token.slice(signatureStart);
  if (encodedSignature.length % 4 === 1) return { ok: false, reason: 'MALFORMED' };
  return {
    ok: true,
    signingInput: Buffer.from(token.slice(0, signatureStart - 1), 'latin1'),
    signature: Buffer.from(encodedSignature, 'base64url'),
    encodedPayload: token.slice(payloadStart, signatureStart - 1),
  };
}

/**
 * See TokenVerifierOptions.maxPoolWaiting: ~8 per thread of the sidecar's two pool threads
 * (`UV_THREADPOOL_SIZE=2`), a few hundred µs of ES256 work in all.
 */
const DEFAULT_MAX_POOL_WAITING = 16;

/** A signature and claims checked: the claims and header, or the reason they are refused. */
type Checked =
  | {
      readonly ok: true;
      readonly claims: Readonly<Record<string, unknown>>;
      readonly header: Readonly<Record<string, unknown>>;
    }
  | { readonly ok: false; readonly reason: ValidationReasonCode };

function refuse(reason: ValidationReasonCode, kid?: string): VerifyResult {
  return kid === undefined ? { valid: false, reason } : { valid: false, reason, kid };
}

function hasAudience(aud: unknown, audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}
