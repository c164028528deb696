import { randomUUID } from 'node:crypto';
import type { ClaimsObject } from './claims-json.js';
import { screenCallerClaims } from './reserved-claims.js';

/**
 * FusionAuth vend semantics: the caller's claims, screened by {@link screenCallerClaims}
 * (privileged claims refused on `claims_json`, the ones FusionAuth ignores dropped), plus
 * `iat`, `exp`, a UUID `jti` and `amr: ["none"]` (no user authenticated). `iss` defaults to
 * the tenant's issuer when the caller does not set one; `tid` is always the tenant's, so the
 * token is valid for no other tenant.
 */
export function buildVendPayload(
  claims: ClaimsObject,
  options: { nowMs: number; lifetimeSeconds: number; issuer: string; tenantId: string },
): ClaimsObject {
  const iat = Math.floor(options.nowMs / 1000);
  return {
    iss: options.issuer,
    ...screenCallerClaims(claims, 'vend', 'claims_json'),
    iat,
    exp: iat + options.lifetimeSeconds,
    jti: randomUUID(),
    amr: ['none'],
    tid: options.tenantId,
  };
}
