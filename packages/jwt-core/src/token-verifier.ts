/**
 * The one verification profile (README, Token rules): the issuer's Validate RPC, the gateway and the
 * sidecar all verify through this class, so a token is judged the same everywhere. Cheap
 * structural checks run before any crypto; jose then checks the signature and the claims.
 */
import type { Clock } from '@tessera/clock';
import { invalidArgument } from '@tessera/errors';
import { jwtVerify } from 'jose';
import { reasonForJoseError } from './jose-error-reason.js';
import { DEFAULT_MAX_TOKEN_LENGTH } from './limits.js';
import type { ValidationReasonCode, VerificationProfile, VerifyResult } from './profile.js';
import { checkHeader } from './token-header.js';
import type { VerificationKeySet } from './verification-keys.js';

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

  constructor(options: TokenVerifierOptions) {
    const maxTokenLength = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
    if (!Number.isInteger(maxTokenLength) || maxTokenLength < 1) {
      throw invalidArgument('maxTokenLength', 'maxTokenLength must be a positive integer');
    }
    this.#keys = options.keys;
    this.#clock = options.clock;
    this.#maxTokenLength = maxTokenLength;
    this.#isRevoked = options.isRevoked;
  }

  /**
   * Verifies `token` for the tenant of `profile`. In order: length and shape (MALFORMED),
   * header rules (`alg: none` → ALG_NOT_ALLOWED; embedded keys, `crit`, `b64` → MALFORMED),
   * kid in the profile and the key set (UNKNOWN_KID), header alg equal to the key's alg
   * (ALG_NOT_ALLOWED; this is what defeats HS/RS confusion), an empty signature
   * (BAD_SIGNATURE), then signature, `iss`, `aud`, `nbf`, `exp` (required) with the profile's
   * clock tolerance, a `tid` naming another tenant (ISSUER_MISMATCH), and last revocation. Never resolves to valid on an unexpected error: it
   * rethrows instead.
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

    let verified: Awaited<ReturnType<typeof jwtVerify>>;
    try {
      verified = await jwtVerify(token, key.key, {
        algorithms: [key.alg],
        issuer: profile.issuer,
        ...(profile.audiences.length > 0 ? { audience: [...profile.audiences] } : {}),
        clockTolerance: tolerance,
        currentDate: new Date(this.#clock.now()),
        requiredClaims: ['exp'],
      });
    } catch (error) {
      const reason = reasonForJoseError(error);
      if (reason === undefined) throw error;
      return refuse(reason, kid);
    }
    const claims: Readonly<Record<string, unknown>> = verified.payload;
    // Every token tessera mints names its tenant in `tid`. A token naming another tenant is
    // that tenant's, whatever key signed it and whatever its `iss` says.
    if (claims.tid !== undefined && claims.tid !== profile.tenantId) {
      return refuse('ISSUER_MISMATCH', kid);
    }
    if (options.audience !== undefined && !hasAudience(claims.aud, options.audience)) {
      return refuse('AUDIENCE_MISMATCH', kid);
    }
    if (this.#isRevoked?.(claims, profile) === true) return refuse('REVOKED', kid);
    return { valid: true, claims, kid, header: verified.protectedHeader };
  }
}

function refuse(reason: ValidationReasonCode, kid?: string): VerifyResult {
  return kid === undefined ? { valid: false, reason } : { valid: false, reason, kid };
}

function hasAudience(aud: unknown, audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}
