import type { envoyAuthV3, issuerV1, sessionV1 } from '@tessera/contracts';
import type { RequirementTable } from './requirement.js';

/** The scope Neostore requires for tokens/generate, of an API key or a bearer token. */
export const GENERATE_SCOPE = 'AuthenticationToken.Write';

/** Every issuer RPC and what calling it takes. */
export const ISSUER_REQUIREMENTS = {
  vend: { kind: 'key', http: { path: '/api/jwt/vend', method: 'POST' } },
  generate: { kind: 'scope', scope: GENERATE_SCOPE, bearer: true },
  issueApplicationToken: { kind: 'application-binding' },
  issueForApplication: { kind: 'key', http: { path: '/api/jwt/issue', method: 'GET' } },
  startSession: { kind: 'key' },
  refresh: { kind: 'key', http: { path: '/api/jwt/refresh', method: 'POST' } },
  reconcile: { kind: 'key', http: { path: '/api/jwt/reconcile', method: 'POST' } },
  validate: { kind: 'key', http: { path: '/api/jwt/validate', method: 'GET' } },
  getPublicKeys: { kind: 'open' },
  getJwks: { kind: 'open' },
  watchKeys: { kind: 'open' },
} as const satisfies RequirementTable<typeof issuerV1.IssuerServiceService>;

/**
 * Every session RPC and what calling it takes. The session service checks keys itself:
 * callers that reach it past the issuer or the gateway get no free pass.
 */
export const SESSION_REQUIREMENTS = {
  create: { kind: 'key' },
  rotate: { kind: 'key' },
  get: { kind: 'key', http: { path: '/api/jwt/refresh', method: 'GET' } },
  listByUser: { kind: 'key', http: { path: '/api/jwt/refresh', method: 'GET' } },
  revoke: { kind: 'key', http: { path: '/api/jwt/refresh', method: 'DELETE' } },
  // The stream carries every tenant's revocations (user, session and application ids).
  watchRevocations: { kind: 'key', allTenants: true },
  upsertUser: { kind: 'key' },
  getUser: { kind: 'key' },
  upsertRegistration: { kind: 'key' },
} as const satisfies RequirementTable<typeof sessionV1.SessionServiceService>;

/** The one issuer RPC the sidecar serves (its local Validate, by the issuer's contract). */
export type SidecarIssuerDefinition = Pick<typeof issuerV1.IssuerServiceService, 'validate'>;

/**
 * What calling the sidecar takes: nothing. It listens on the pod's loopback for its own
 * application and proxy, and answers only what holding the token already tells its holder
 * (its claims and whether it is valid); it has no API keys to check against but its own.
 */
export const SIDECAR_REQUIREMENTS = {
  validate: { kind: 'open' },
} as const satisfies RequirementTable<SidecarIssuerDefinition>;

/** Envoy's ext_authz Check, served by the sidecar to the proxy in its pod. */
export const SIDECAR_AUTHORIZATION_REQUIREMENTS = {
  check: { kind: 'open' },
} as const satisfies RequirementTable<typeof envoyAuthV3.AuthorizationService>;
