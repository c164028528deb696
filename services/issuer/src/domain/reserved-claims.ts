import { TesseraError } from '@tessera/errors';

/**
 * Claims that carry authority: a scope (Neostore's Generate accepts a bearer by it), a
 * tenant, a session, an application, how and when a user authenticated. Only the issuer's
 * own flows set them (see access-token.ts); no caller may put them on any minted token, on
 * any API.
 */
export const PRIVILEGED_CLAIMS: readonly string[] = Object.freeze([
  'scope',
  'scp',
  'tid',
  'sid',
  'applicationId',
  'authenticationType',
  'auth_time',
  // Microsoft.Identity.Web reads scopes from `scp` and from this claim type (ClaimConstants.Scope).
  'http://schemas.microsoft.com/identity/claims/scope',
]);

/**
 * The names a role travels under: `roles`, and what .NET consumers also read as a role
 * (JwtSecurityTokenHandler maps `role` to ClaimTypes.Role; a claim already named
 * ClaimTypes.Role is a role as it is). Refused together where an API allows no roles.
 */
export const ROLE_CLAIMS: readonly string[] = Object.freeze([
  'roles',
  'role',
  'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
]);

/**
 * The registered claims (RFC 7519 §4.1, plus `amr` and `cnf`) the issuer decides on minted
 * tokens, unless an API documents one of them as the caller's.
 */
export const REGISTERED_CLAIMS: readonly string[] = Object.freeze([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'amr',
  'cnf',
]);

/** The APIs that sign claims a caller supplies. */
export type MintingApi = 'vend' | 'generate' | 'application-token';

/** What one API does with the claims a caller may not choose. */
interface ApiClaimPolicy {
  /** Registered claims the API documents as the caller's to set. */
  readonly callerSets: ReadonlySet<string>;
  /** Whether the caller may set `roles` (never on tokens an application mints for itself). */
  readonly roles: boolean;
}

/**
 * Per API, from its documented contract:
 * - FusionAuth vend: the caller provides the claims (`sub`, `aud`, `roles`…) and may set
 *   `iss` (the handler keeps it off other tenants' issuers); `amr`, `cnf`, `exp`, `iat` are
 *   documented as ignored, and `jti` is always the issuer's.
 * - Neostore generate: .NET's `JwtPayload` keeps the caller's `sub`, `aud`, `jti` and roles,
 *   and overwrites `exp`, `nbf`, `iat`, `iss`.
 * - webMethods getJsonWebToken: the caller cannot override `sub`, `iss`, `aud`, `exp`,
 *   `nbf`, `iat`; the token is the application's, so it carries no user roles either.
 * Registered claims an API does not leave to the caller are replaced by the issuer, as each
 * API documents, so compatible clients that send them keep working.
 */
const POLICIES: Readonly<Record<MintingApi, ApiClaimPolicy>> = {
  vend: { callerSets: new Set(['iss', 'sub', 'aud', 'nbf']), roles: true },
  generate: { callerSets: new Set(['sub', 'aud', 'jti']), roles: true },
  'application-token': { callerSets: new Set(), roles: false },
};

const REGISTERED = new Set(REGISTERED_CLAIMS);
const PRIVILEGED = new Set(PRIVILEGED_CLAIMS);
const ROLES = new Set(ROLE_CLAIMS);

/**
 * The caller's claims as `api` may sign them: INVALID_ARGUMENT on `field`, naming the claim,
 * for a privileged claim (and for any of the {@link ROLE_CLAIMS} where the API allows none); registered claims the
 * API does not leave to the caller are dropped, for the issuer to set. Other claims are kept.
 */
export function screenCallerClaims(
  claims: Readonly<Record<string, unknown>>,
  api: MintingApi,
  field: string | undefined,
): Record<string, unknown> {
  const policy = POLICIES[api];
  const kept: [string, unknown][] = [];
  for (const [name, value] of Object.entries(claims)) {
    if (PRIVILEGED.has(name) || (ROLES.has(name) && !policy.roles)) {
      throw new TesseraError(
        'INVALID_ARGUMENT',
        `the claim ${name} is set by tessera, never by the caller`,
        {
          ...(field === undefined ? {} : { field }),
          metadata: { claim: name },
        },
      );
    }
    if (REGISTERED.has(name) && !policy.callerSets.has(name)) continue;
    kept.push([name, value]);
  }
  // fromEntries defines own properties, so a claim named "__proto__" stays an ordinary claim.
  return Object.fromEntries(kept);
}
