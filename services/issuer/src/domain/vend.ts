import { randomUUID } from 'node:crypto';
import type { ClaimsObject } from './claims-json.js';

/** Claims a vend request cannot set (FusionAuth ignores them, and so do we). */
export const VEND_RESERVED_CLAIMS = ['amr', 'cnf', 'exp', 'iat'] as const;

/**
 * FusionAuth vend semantics: the caller's claims, minus the reserved ones, plus `iat`, `exp`,
 * a UUID `jti` and `amr: ["none"]` (no user authenticated). `iss` defaults to the tenant's
 * issuer when the caller does not set one; `tid` is always the tenant's, so the token is
 * valid for no other tenant.
 */
export function buildVendPayload(
  claims: ClaimsObject,
  options: { nowMs: number; lifetimeSeconds: number; issuer: string; tenantId: string },
): ClaimsObject {
  const payload: ClaimsObject = { ...claims };
  for (const name of VEND_RESERVED_CLAIMS) delete payload[name];
  const iat = Math.floor(options.nowMs / 1000);
  return {
    iss: options.issuer,
    ...payload,
    iat,
    exp: iat + options.lifetimeSeconds,
    jti: randomUUID(),
    amr: ['none'],
    tid: options.tenantId,
  };
}
