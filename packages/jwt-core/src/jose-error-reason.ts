/**
 * Translates jose's failures into reason codes, by jose's stable `code` (never its messages).
 */
import { errors } from 'jose';
import type { ValidationReasonCode } from './profile.js';

/**
 * The reason for a jose verification failure, or undefined when `error` is not one: the
 * caller rethrows those, because an unexpected error is a bug and must never read as valid.
 */
export function reasonForJoseError(error: unknown): ValidationReasonCode | undefined {
  if (!(error instanceof errors.JOSEError)) return undefined;
  switch (error.code) {
    case 'ERR_JWT_EXPIRED':
      return 'EXPIRED';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'BAD_SIGNATURE';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'ALG_NOT_ALLOWED';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'MALFORMED';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return error instanceof errors.JWTClaimValidationFailed ? claimReason(error) : 'MALFORMED';
    default:
      return undefined;
  }
}

function claimReason(
  error: InstanceType<typeof errors.JWTClaimValidationFailed>,
): ValidationReasonCode {
  switch (error.claim) {
    // A present but non-numeric `nbf` is malformed, not early.
    case 'nbf':
      return error.reason === 'check_failed' ? 'NOT_YET_VALID' : 'MALFORMED';
    // A missing `iss` or `aud` fails the same rule as a wrong one.
    case 'iss':
      return 'ISSUER_MISMATCH';
    case 'aud':
      return 'AUDIENCE_MISMATCH';
    default:
      return 'MALFORMED';
  }
}
