import { keyAllows } from '@tessera/api-keys';
import type { ApiKey } from '@tessera/config';
import { TesseraError } from '@tessera/errors';
import type { Requirement } from './requirement.js';
import { GENERATE_SCOPE } from './service-requirements.js';

/**
 * Throws PERMISSION_DENIED unless `key` meets `requirement` for the gRPC method `method`
 * (`package.Service/Method`). A key with no endpoint permissions may call every endpoint
 * (FusionAuth semantics); scopes and application bindings are never implied.
 */
export function authorizeApiKey(key: ApiKey, method: string, requirement: Requirement): void {
  switch (requirement.kind) {
    case 'open':
      return;
    case 'scope':
      if (key.scopes.includes(requirement.scope)) return;
      throw denied(`the API key lacks the ${requirement.scope} scope`);
    case 'application-binding':
      if (key.applicationId !== undefined) return;
      throw denied('the API key does not identify an application');
    case 'key':
      if (!keyAllows(key, method, requirement.http))
        throw denied(`the API key may not call ${method}`);
      if (requirement.allTenants === true && key.tenantId !== undefined) {
        throw denied(`${method} spans every tenant; a tenant-locked API key may not call it`);
      }
      return;
  }
}

function denied(message: string): TesseraError {
  return new TesseraError('PERMISSION_DENIED', message);
}

/**
 * Throws PERMISSION_DENIED when `scopes`, to be granted to a session, hold a scope the
 * caller's own key does not: the Generate scope makes a session's access tokens Generate
 * bearers (any subject, any roles), so no caller may hand out more than it holds. Checked by
 * the issuer's StartSession and by the session service's Create alike, so a key allowed only
 * Create cannot mint a Generate bearer through an anonymous refresh.
 */
export function assertMayGrantScopes(
  key: ApiKey | undefined,
  scopes: readonly string[],
  field = 'scopes',
): void {
  if (!scopes.includes(GENERATE_SCOPE) || key?.scopes.includes(GENERATE_SCOPE) === true) return;
  throw new TesseraError(
    'PERMISSION_DENIED',
    `only an API key holding the ${GENERATE_SCOPE} scope may grant it to a session`,
    { field },
  );
}
