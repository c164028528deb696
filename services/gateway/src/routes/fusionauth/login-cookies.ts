import type { Clock } from '@tessera/clock';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { cookieIsSecure, type SecureCookies } from '../../http/trusted-proxies.js';

/** The tokens a login-like answer (refresh, reconcile) hands to the browser. */
export interface LoginTokens {
  readonly token: string;
  /** Empty when the answer carries no refresh token. */
  readonly refreshToken: string;
  /** Epoch ms: when the refresh token stops being accepted (0 when unknown). */
  readonly refreshTokenExpirationInstant: bigint;
}

/**
 * The refresh cookie's Max-Age: the seconds the refresh token has left, as the backend that
 * minted it says, so the cookie never outlives the token (a Fixed session's cookie shrinks as
 * the session ages). Undefined when the answer does not say (a session cookie then).
 */
function refreshCookieMaxAge(expirationInstant: bigint, nowMs: number): number | undefined {
  if (expirationInstant <= 0n) return undefined;
  return Math.max(0, Math.ceil((Number(expirationInstant) - nowMs) / 1000));
}

/**
 * Writes FusionAuth's login cookies: `access_token` as an HttpOnly session cookie and
 * `refresh_token` as an HttpOnly persistent one (Max-Age = the refresh token's remaining
 * lifetime), both `Path=/; SameSite=Lax`, with no Domain, and `Secure` as `secureCookies`
 * says: by default over HTTPS, as the gateway sees it directly or through a trusted proxy.
 */
export function setLoginCookies(
  request: FastifyRequest,
  reply: FastifyReply,
  tokens: LoginTokens,
  ctx: { readonly clock: Clock; readonly secureCookies: SecureCookies },
): void {
  const base = {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: cookieIsSecure(ctx.secureCookies, request),
  } as const;
  reply.setCookie('access_token', tokens.token, base);
  if (tokens.refreshToken === '') return;
  const maxAge = refreshCookieMaxAge(tokens.refreshTokenExpirationInstant, ctx.clock.now());
  reply.setCookie(
    'refresh_token',
    tokens.refreshToken,
    maxAge === undefined ? base : { ...base, maxAge },
  );
}
