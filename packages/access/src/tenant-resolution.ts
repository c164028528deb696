import type { Realm, TenantConfig } from '@tessera/config';
import { TesseraError } from '@tessera/errors';
import { apiKeyOf, type Caller } from './caller.js';

/** What a request says about the tenant it concerns. */
export interface TenantQuery {
  /** The tenant the request names explicitly; empty or absent when it names none. */
  readonly tenantId?: string | undefined;
  /** Who is calling: a tenant-locked API key binds the request to its tenant. */
  readonly caller: Caller;
  /** An application the request names: it belongs to exactly one tenant. */
  readonly applicationId?: string | undefined;
}

/**
 * The tenant a request is about, FusionAuth style, or undefined when nothing tells:
 * 1. the tenant the request names, which must be the one a tenant-locked key is locked to
 *    (PERMISSION_DENIED otherwise, checked first so a locked key learns nothing about other
 *    tenants) and must exist (TENANT_NOT_FOUND);
 * 2. else the tenant the API key is locked to;
 * 3. else the tenant of the application the request names;
 * 4. else the only tenant of the realm.
 * A bearer token never chooses the tenant: it is verified against the tenant chosen here.
 */
export function findTenant(realm: Realm, query: TenantQuery): TenantConfig | undefined {
  const lockedTo = apiKeyOf(query.caller)?.tenantId;
  const requested = query.tenantId ?? '';
  if (requested !== '') {
    if (lockedTo !== undefined && lockedTo !== requested) {
      throw new TesseraError('PERMISSION_DENIED', 'the API key is locked to another tenant', {
        field: 'tenant_id',
      });
    }
    const tenant = realm.tenants.get(requested);
    if (tenant === undefined) {
      throw new TesseraError('TENANT_NOT_FOUND', `no tenant has id ${requested}`, {
        field: 'tenant_id',
      });
    }
    return tenant;
  }
  if (lockedTo !== undefined) {
    const tenant = realm.tenants.get(lockedTo);
    // The realm refuses keys locked to unknown tenants; should one slip through, it may act
    // on no tenant at all rather than fall back to another.
    if (tenant === undefined) {
      throw new TesseraError('TENANT_NOT_FOUND', `no tenant has id ${lockedTo}`, {
        field: 'tenant_id',
      });
    }
    return tenant;
  }
  const application =
    query.applicationId === undefined || query.applicationId === ''
      ? undefined
      : realm.applications.get(query.applicationId);
  if (application !== undefined) {
    const tenant = realm.tenants.get(application.tenantId);
    if (tenant !== undefined) return tenant;
  }
  if (realm.tenants.size === 1) {
    const [only] = realm.tenants.values();
    return only;
  }
  return undefined;
}

/** {@link findTenant} for requests that cannot go on without a tenant: TENANT_ID_REQUIRED. */
export function resolveTenant(realm: Realm, query: TenantQuery): TenantConfig {
  const tenant = findTenant(realm, query);
  if (tenant !== undefined) return tenant;
  throw new TesseraError(
    'TENANT_ID_REQUIRED',
    'a tenant id is required: several tenants are configured',
    { field: 'tenant_id' },
  );
}
