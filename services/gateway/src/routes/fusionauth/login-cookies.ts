import { effectiveJwtSettings, type Realm } from '@tessera/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { cookieIsSecure, type SecureCookies } from '../../http/trusted-proxies.js';

/** The tokens a login-like answer (refresh, reconcile) hands to the browser. */
export interface LoginTokens {
  readonly token: string;
  /** Empty when the answer carries no refresh token. */
  readonly refreshToken: string;
}

function unverifiedClaims(token: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(
      Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'),
    );
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * The configured refresh-token lifetime, which FusionAuth uses as the cookie's Max-Age. The
 * answer does not say which application the session belongs to, so it is read from the
 * access token the issuer has just signed (no trust is placed in it: it only sizes a cookie).
 */
function refreshCookieMaxAge(realm: Realm, accessToken: string): number | undefined {
  const claims = unverifiedClaims(accessToken);
  const application =
    typeof claims.applicationId === 'string'
      ? realm.applications.get(claims.applicationId)
      : undefined;
  const tenantId =
    application?.tenantId ?? (typeof claims.tid === 'string' ? claims.tid : undefined);
  const tenant = tenantId === undefined ? undefined : realm.tenants.get(tenantId);
  if (tenant === undefined) return undefined;
  return effectiveJwtSettings(tenant, application).refreshToken.timeToLiveInMinutes * 60;
}

/**
 * Writes FusionAuth's login cookies: `access_token` as an HttpOnly session cookie and
 * `refresh_token` as an HttpOnly persistent one (Max-Age = the refresh-token lifetime), both
 * `Path=/; SameSite=Lax`, with no Domain, and `Secure` as `secureCookies` says: by default
 * over HTTPS, as the gateway sees it directly or through a trusted proxy.
 */
export function setLoginCookies(
  request: FastifyRequest,
  reply: FastifyReply,
  realm: Realm,
  tokens: LoginTokens,
  secureCookies: SecureCookies,
): void {
  const base = {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: cookieIsSecure(secureCookies, request),
  } as const;
  reply.setCookie('access_token', tokens.token, base);
  if (tokens.refreshToken === '') return;
  const maxAge = refreshCookieMaxAge(realm, tokens.token);
  reply.setCookie(
    'refresh_token',
    tokens.refreshToken,
    maxAge === undefined ? base : { ...base, maxAge },
  );
}
