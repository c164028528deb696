/**
 * The claim rules of a verification, for the node:crypto path (token-verifier.ts): the same
 * checks, in the same order and with the same outcome, as jose's `jwtVerify` applies with the
 * options the TokenVerifier gives it (`issuer`, `audience` when the profile has audiences,
 * `clockTolerance`, `currentDate`, `requiredClaims: ['exp']`; jose's JWT claims-set validation).
 * test/parity.test.ts runs every case through both and requires the same answer.
 */
import type { ValidationReasonCode } from './profile.js';

/** What the claims are checked against. */
export interface ClaimRules {
  readonly issuer: string;
  /** Empty: `aud` is not checked. Otherwise `aud` must name one of these. */
  readonly audiences: readonly string[];
  readonly clockToleranceSeconds: number;
  /** The verifier's clock, in ms since the epoch. */
  readonly nowMs: number;
}

/** The claims, or why they are refused. */
export type ClaimsOutcome =
  | { readonly ok: true; readonly claims: Record<string, unknown> }
  | { readonly ok: false; readonly reason: ValidationReasonCode };

// jose decodes with a fatal UTF-8 decoder that strips a byte-order mark; so does this one.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses the payload (UTF-8 JSON, a plain object) and checks, in jose's order: presence of
 * `iss`, then `aud` (when audiences are set), then `exp`; `iss` equal to the issuer; `aud`
 * naming an audience; `iat` and `nbf` numbers when present; `nbf` not after now + tolerance;
 * `exp` a number and after now − tolerance.
 * A clock that is not a finite instant throws, as jose does: it is a bug, not a token fault.
 */
export function checkClaims(payload: Uint8Array, rules: ClaimRules): ClaimsOutcome {
  let claims: unknown;
  try {
    claims = JSON.parse(strictUtf8.decode(payload));
  } catch {
    return refuse('MALFORMED');
  }
  if (!isPlainObject(claims)) return refuse('MALFORMED');

  const audienceChecked = rules.audiences.length > 0;
  if (!Object.hasOwn(claims, 'iss')) return refuse('ISSUER_MISMATCH');
  if (audienceChecked && !Object.hasOwn(claims, 'aud')) return refuse('AUDIENCE_MISMATCH');
  if (!Object.hasOwn(claims, 'exp')) return refuse('MALFORMED');
  if (claims.iss !== rules.issuer) return refuse('ISSUER_MISMATCH');
  if (audienceChecked && !namesAudience(claims.aud, rules.audiences)) {
    return refuse('AUDIENCE_MISMATCH');
  }

  const now = Math.floor(new Date(rules.nowMs).getTime() / 1000);
  if (!Number.isFinite(now)) throw new TypeError('Invalid currentDate option input');
  const tolerance = rules.clockToleranceSeconds;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new TypeError('Invalid clockTolerance option input');
  }
  if (claims.iat !== undefined && typeof claims.iat !== 'number') return refuse('MALFORMED');
  const { nbf, exp } = claims;
  if (nbf !== undefined && typeof nbf !== 'number') return refuse('MALFORMED');
  if (nbf !== undefined && nbf > now + tolerance) return refuse('NOT_YET_VALID');
  if (typeof exp !== 'number') return refuse('MALFORMED');
  if (exp <= now - tolerance) return refuse('EXPIRED');
  return { ok: true, claims };
}

function namesAudience(aud: unknown, audiences: readonly string[]): boolean {
  if (typeof aud === 'string') return audiences.includes(aud);
  if (Array.isArray(aud)) return audiences.some((audience) => aud.includes(audience));
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === null || prototype === Object.prototype;
}

function refuse(reason: ValidationReasonCode): ClaimsOutcome {
  return { ok: false, reason };
}
