import { keyAllows } from '@tessera/api-keys';
import type { ApiKey } from '@tessera/config';
import { TesseraError } from '@tessera/errors';

/** The scope Neostore requires for tokens/generate. */
export const GENERATE_SCOPE = 'AuthenticationToken.Write';

/**
 * What an API key needs to call an RPC. Permissions use one vocabulary, FusionAuth's
 * endpoint → methods map: each RPC names the documented HTTP endpoint it serves, so a key
 * limited to `/api/jwt/vend: [POST]` may call Vend whether it arrives over REST or gRPC. A key
 * may also name the gRPC method itself with `CALL`.
 */
export type Requirement =
  | { readonly kind: 'endpoint'; readonly path: string; readonly method: string }
  | { readonly kind: 'scope'; readonly scope: string }
  | { readonly kind: 'application-binding' }
  | { readonly kind: 'open' };

/** Every issuer RPC and what calling it takes. A new RPC fails to compile until listed. */
export const ISSUER_REQUIREMENTS = {
  Vend: { kind: 'endpoint', path: '/api/jwt/vend', method: 'POST' },
  Generate: { kind: 'scope', scope: GENERATE_SCOPE },
  IssueApplicationToken: { kind: 'application-binding' },
  IssueForApplication: { kind: 'endpoint', path: '/api/jwt/issue', method: 'GET' },
  StartSession: {
    kind: 'endpoint',
    path: 'tessera.issuer.v1.IssuerService/StartSession',
    method: 'CALL',
  },
  Refresh: { kind: 'endpoint', path: '/api/jwt/refresh', method: 'POST' },
  Reconcile: { kind: 'endpoint', path: '/api/jwt/reconcile', method: 'POST' },
  Validate: { kind: 'endpoint', path: '/api/jwt/validate', method: 'GET' },
  GetPublicKeys: { kind: 'open' },
  GetJwks: { kind: 'open' },
  WatchKeys: { kind: 'open' },
} as const satisfies Record<string, Requirement>;

/** The name of an issuer RPC. */
export type IssuerRpc = keyof typeof ISSUER_REQUIREMENTS;

const SERVICE = 'tessera.issuer.v1.IssuerService';

/**
 * Throws PERMISSION_DENIED unless the key may call `rpc`. A key with no endpoint
 * permissions may call every endpoint (FusionAuth semantics); scopes and application
 * bindings are never implied.
 */
export function authorizeApiKey(key: ApiKey, rpc: IssuerRpc): void {
  const requirement: Requirement = ISSUER_REQUIREMENTS[rpc];
  switch (requirement.kind) {
    case 'open':
      return;
    case 'scope':
      if (key.scopes.includes(requirement.scope)) return;
      throw denied(`the API key lacks the ${requirement.scope} scope`);
    case 'application-binding':
      if (key.applicationId !== undefined) return;
      throw denied('the API key does not identify an application');
    case 'endpoint':
      if (keyAllows(key, `${SERVICE}/${rpc}`, requirement)) return;
      throw denied(`the API key may not call ${rpc}`);
  }
}

/** True when a bearer token's `scope` claim (space-separated string or array) holds `scope`. */
export function claimsGrantScope(
  claims: Readonly<Record<string, unknown>>,
  scope: string,
): boolean {
  const value = claims.scope ?? claims.scp;
  if (typeof value === 'string') return value.split(' ').includes(scope);
  if (Array.isArray(value)) return value.includes(scope);
  return false;
}

function denied(message: string): TesseraError {
  return new TesseraError('PERMISSION_DENIED', message);
}
