/**
 * What a tenant accepts, and what a verification says back. Mirrors the proto messages
 * `tessera.issuer.v1.VerificationProfile` and `tessera.common.v1.ValidationReason`.
 */

/** The rules one tenant's tokens are verified against. */
export interface VerificationProfile {
  /** A token whose `tid` claim is present and differs from this is ISSUER_MISMATCH. */
  readonly tenantId: string;
  /** The exact `iss` the tenant's tokens carry. */
  readonly issuer: string;
  /** Keys whose tokens this tenant accepts; a token signed by any other key is UNKNOWN_KID. */
  readonly keyIds: readonly string[];
  /** Leeway for `exp` and `nbf`, in seconds. */
  readonly clockToleranceSeconds: number;
  /** When non-empty, `aud` must contain one of these. */
  readonly audiences: readonly string[];
}

/** Why a token was refused; stable for logs, metrics and the Validate RPC. */
export type ValidationReasonCode =
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'BAD_SIGNATURE'
  | 'UNKNOWN_KID'
  | 'ALG_NOT_ALLOWED'
  | 'ISSUER_MISMATCH'
  | 'AUDIENCE_MISMATCH'
  | 'REVOKED'
  | 'MALFORMED';

/** Every validation reason code. */
export const VALIDATION_REASON_CODES: readonly ValidationReasonCode[] = Object.freeze([
  'EXPIRED',
  'NOT_YET_VALID',
  'BAD_SIGNATURE',
  'UNKNOWN_KID',
  'ALG_NOT_ALLOWED',
  'ISSUER_MISMATCH',
  'AUDIENCE_MISMATCH',
  'REVOKED',
  'MALFORMED',
] as const);

/** The outcome of a verification: the verified claims, or one reason. */
export type VerifyResult =
  | {
      readonly valid: true;
      readonly claims: Readonly<Record<string, unknown>>;
      readonly kid: string;
      readonly header: Readonly<Record<string, unknown>>;
    }
  | {
      readonly valid: false;
      readonly reason: ValidationReasonCode;
      /** The token's kid, once it has been read and found to be a plausible kid string. */
      readonly kid?: string;
    };
