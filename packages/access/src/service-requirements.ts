import type { issuerV1, sessionV1 } from '@tessera/contracts';
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
