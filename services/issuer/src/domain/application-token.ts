import { randomUUID } from 'node:crypto';
import type { ApplicationConfig } from '@tessera/config';
import type { ClaimsObject } from './claims-json.js';
import { screenCallerClaims } from './reserved-claims.js';

/**
 * webMethods getJsonWebToken semantics, over the caller's claims screened by
 * {@link screenCallerClaims} (privileged claims and `roles` refused on `claims_json`, the
 * registered ones the caller cannot override dropped): the application identified by the API
 * key is the subject; the audience is the configured audience preceded by the application id; `iss`
 * is the tenant's issuer and `tid` the tenant; lifetime from the application's expiry in minutes.
 */
export function buildApplicationTokenPayload(
  claims: ClaimsObject,
  application: ApplicationConfig,
  options: { nowMs: number; issuer: string },
): ClaimsObject {
  const iat = Math.floor(options.nowMs / 1000);
  const audience = application.webMethods.audience;
  return {
    ...screenCallerClaims(claims, 'application-token', 'claims_json'),
    sub: application.id,
    iss: options.issuer,
    aud: audience === undefined ? [application.id] : [application.id, audience],
    iat,
    nbf: iat,
    exp: iat + application.webMethods.expiryInMinutes * 60,
    jti: randomUUID(),
    // No user authenticated: the application did.
    amr: ['none'],
    tid: application.tenantId,
  };
}
