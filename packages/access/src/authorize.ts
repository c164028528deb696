import { keyAllows } from '@tessera/api-keys';
import type { ApiKey } from '@tessera/config';
import { TesseraError } from '@tessera/errors';
import type { Requirement } from './requirement.js';

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
