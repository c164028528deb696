/**
 * One Neostore claim set → the caller's part of one JWT payload, as .NET's `JwtPayload`
 * builds it: claims in request order, each value converted by its value type, and a type
 * given more than once becoming an array of its values in order.
 *
 * Registered claims the issuer sets itself: `JwtPayload` adds the caller's claims first and
 * then overwrites `exp`, `nbf`, `iat` and `iss` with the lifetime and issuer it was given.
 * The lifetime here comes from `validityDuration` and the issuer from the tenant, so those
 * four are dropped from the request. `aud` and `jti` are the caller's (`JwtPayload` appends a
 * configured audience to `aud` and never touches `jti`).
 */
import { invalidArgument, TesseraError } from '@tessera/errors';
import { convertClaimArrayItem, convertClaimValue } from './claim-values.js';

/** A claim as Neostore's `WebClaim` carries it. */
export interface NeostoreClaim {
  readonly type: string;
  readonly value: string;
  /** A .NET claim value type; absent, null or empty means string. */
  readonly valueType?: string | null | undefined;
}

/** Bounds on one claim set, checked before any value is converted. */
export interface ClaimSetLimits {
  /** The most claims one set may hold. */
  readonly maxClaims: number;
  /** The most UTF-8 bytes of one claim's value. */
  readonly maxClaimValueBytes: number;
  /** The most UTF-8 bytes of a whole set: every claim's type, value and value type. */
  readonly maxClaimsBytes: number;
}

/** Claims the issuer sets on every generated token; request values for them are ignored. */
export const ISSUER_SET_CLAIMS: ReadonlySet<string> = new Set(['exp', 'nbf', 'iat', 'iss']);

/**
 * Builds the caller's claims of one token from a Neostore claim set. Throws TesseraError
 * `LIMIT_EXCEEDED` when the set holds more than `limits.maxClaims` claims, a value larger than
 * `limits.maxClaimValueBytes` (field `[i].value`) or more than `limits.maxClaimsBytes` in all,
 * and `INVALID_ARGUMENT` on field `[i].type` for a claim with an empty type. The result has no
 * `exp`, `nbf`, `iat` or `iss`: the issuer adds them.
 */
export function buildClaimSetPayload(
  claims: readonly NeostoreClaim[],
  limits: ClaimSetLimits,
): Record<string, unknown> {
  if (claims.length > limits.maxClaims) {
    throw new TesseraError(
      'LIMIT_EXCEEDED',
      `a claim set may hold at most ${limits.maxClaims} claims`,
      { metadata: { maximum: String(limits.maxClaims) } },
    );
  }
  // Sizes are checked for the whole set before any value is converted: conversions parse
  // numbers, dates and JSON, and their cost must stay bounded by the limits.
  let setBytes = 0;
  claims.forEach((claim, i) => {
    const valueBytes = Buffer.byteLength(claim.value, 'utf8');
    if (valueBytes > limits.maxClaimValueBytes) {
      throw new TesseraError(
        'LIMIT_EXCEEDED',
        `a claim value may hold at most ${limits.maxClaimValueBytes} bytes`,
        { field: `[${i}].value`, metadata: { maximum: String(limits.maxClaimValueBytes) } },
      );
    }
    setBytes +=
      Buffer.byteLength(claim.type, 'utf8') +
      valueBytes +
      Buffer.byteLength(claim.valueType ?? '', 'utf8');
  });
  if (setBytes > limits.maxClaimsBytes) {
    throw new TesseraError(
      'LIMIT_EXCEEDED',
      `a claim set may hold at most ${limits.maxClaimsBytes} bytes`,
      { metadata: { maximum: String(limits.maxClaimsBytes) } },
    );
  }
  // A Map keeps request order and cannot be subverted by a claim named "__proto__".
  const byType = new Map<string, NeostoreClaim[]>();
  claims.forEach((claim, i) => {
    if (claim.type === '') throw invalidArgument(`[${i}].type`, 'claim type must not be empty');
    if (ISSUER_SET_CLAIMS.has(claim.type)) return;
    const same = byType.get(claim.type);
    if (same === undefined) byType.set(claim.type, [claim]);
    else same.push(claim);
  });
  const entries = [...byType].map(([type, same]): [string, unknown] => {
    const [only] = same;
    if (same.length === 1 && only !== undefined) {
      return [type, convertClaimValue(only.value, only.valueType)];
    }
    return [type, same.map((claim) => convertClaimArrayItem(claim.value, claim.valueType))];
  });
  // fromEntries defines own properties, so "__proto__" stays an ordinary claim.
  return Object.fromEntries(entries);
}
