import { randomUUID } from 'node:crypto';
import type { ApplicationConfig, TenantConfig } from '@tessera/config';

/** FusionAuth authentication types tessera mints. */
export type AuthenticationType =
  | 'PASSWORD'
  | 'REFRESH_TOKEN'
  | 'JWT_SSO'
  | 'FEDERATED_JWT'
  | string;

/** What a user-facing access token says about its user. */
export interface TokenUser {
  readonly id: string;
  readonly email: string;
  readonly verified: boolean;
  readonly username: string;
}

/** Inputs of {@link buildAccessTokenClaims}. */
export interface AccessTokenInput {
  readonly tenant: TenantConfig;
  /** The application the token is for; its claims are added only when `registered`. */
  readonly application: ApplicationConfig;
  readonly registered: boolean;
  readonly roles: readonly string[];
  readonly user: TokenUser;
  /** The refresh-token id, when the token belongs to a session. */
  readonly sessionId?: string;
  readonly authenticationType: AuthenticationType;
  /** Epoch seconds of the original authentication; unchanged across refreshes. */
  readonly authTime: number;
  readonly scopes: readonly string[];
  readonly nowMs: number;
  /** Lifetime from now, unless `exp` is given. */
  readonly lifetimeSeconds: number;
  /** A fixed expiry in epoch seconds (FusionAuth issue keeps the presented token's). */
  readonly exp?: number;
}

/**
 * FusionAuth's access-token claims: `applicationId`, `aud` and `roles` only when the user is
 * registered for the application; `sid` names the refresh token so a revocation can reach the
 * access tokens of its session; `auth_time` is the original authentication, not the refresh.
 */
export function buildAccessTokenClaims(input: AccessTokenInput): Record<string, unknown> {
  const iat = Math.floor(input.nowMs / 1000);
  const claims: Record<string, unknown> = {
    iss: input.tenant.issuer,
    sub: input.user.id,
    iat,
    exp: input.exp ?? iat + input.lifetimeSeconds,
    jti: randomUUID(),
    tid: input.tenant.id,
    authenticationType: input.authenticationType,
    auth_time: input.authTime,
  };
  if (input.registered) {
    claims.aud = input.application.id;
    claims.applicationId = input.application.id;
    claims.roles = [...input.roles];
  }
  if (input.user.email !== '') {
    claims.email = input.user.email;
    claims.email_verified = input.user.verified;
  }
  if (input.user.username !== '') claims.preferred_username = input.user.username;
  if (input.sessionId !== undefined && input.sessionId !== '') claims.sid = input.sessionId;
  if (input.scopes.length > 0) claims.scope = input.scopes.join(' ');
  return claims;
}
