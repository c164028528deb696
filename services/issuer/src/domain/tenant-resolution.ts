import type { Realm, TenantConfig } from '@tessera/config';
import { TesseraError } from '@tessera/errors';
import type { Caller } from './caller.js';

/**
 * Finds the tenant a request is about, FusionAuth style: the explicit tenant id, else the
 * tenant the API key is locked to, else the only tenant. A tenant-locked key can never act
 * on another tenant.
 */
export function resolveTenant(
  realm: Realm,
  requestedTenantId: string,
  caller: Caller | undefined,
): TenantConfig {
  const lockedTo = caller?.kind === 'api-key' ? caller.key.tenantId : undefined;
  if (requestedTenantId !== '') {
    if (lockedTo !== undefined && lockedTo !== requestedTenantId) {
      throw new TesseraError('PERMISSION_DENIED', 'the API key is locked to another tenant', {
        field: 'tenant_id',
      });
    }
    const tenant = realm.tenants.get(requestedTenantId);
    if (tenant === undefined) {
      throw new TesseraError('TENANT_NOT_FOUND', `no tenant has id ${requestedTenantId}`, {
        field: 'tenant_id',
      });
    }
    return tenant;
  }
  const implied = lockedTo ?? (caller?.kind === 'bearer' ? caller.tenantId : undefined);
  if (implied !== undefined) {
    const tenant = realm.tenants.get(implied);
    if (tenant !== undefined) return tenant;
  }
  if (realm.tenants.size === 1) {
    const [only] = realm.tenants.values();
    if (only !== undefined) return only;
  }
  throw new TesseraError(
    'TENANT_ID_REQUIRED',
    'a tenant id is required: several tenants are configured',
    {
      field: 'tenant_id',
    },
  );
}
