import { randomUUID } from 'node:crypto';
import type { ApplicationConfig } from '@tessera/config';
import type { ClaimsObject } from './claims-json.js';

/** Claims the webMethods caller cannot override. */
const PROTECTED = ['sub', 'iss', 'aud', 'exp', 'nbf', 'iat', 'jti', 'amr'] as const;

/**
 * webMethods getJsonWebToken semantics: the application identified by the API key is the
 * subject; the audience is the configured audience preceded by the application id; `iss`
 * is the tenant's issuer and `tid` the tenant; lifetime from the application's expiry in minutes.
 */
export function buildApplicationTokenPayload(
  claims: ClaimsObject,
  application: ApplicationConfig,
  options: { nowMs: number; issuer: string },
): ClaimsObject {
  const payload: ClaimsObject = { ...claims };
  for (const name of PROTECTED) delete payload[name];
  const iat = Math.floor(options.nowMs / 1000);
  const audience = application.webMethods.audience;
  return {
    ...payload,
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
