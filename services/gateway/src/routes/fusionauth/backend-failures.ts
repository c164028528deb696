import { status } from '@grpc/grpc-js';
import { type BackendErrorMapping, toApiError } from '../../http/backend-errors.js';

/**
 * FusionAuth answers an unknown key and a key without the permission alike: 401 with an empty
 * body. Every FusionAuth route starts from this override.
 */
const FUSIONAUTH_STATUSES: Partial<Record<status, number>> = { [status.PERMISSION_DENIED]: 401 };

// The gateway checks the tenant header against its realm first; the services still say so
// when their realm has just dropped the tenant.
const FUSIONAUTH_CODES: BackendErrorMapping['codes'] = {
  TENANT_NOT_FOUND: { field: 'tenantId', code: '[invalid]tenantId' },
};

/**
 * A `.catch` handler that rethrows a failed backend call as the ApiError a FusionAuth route
 * answers with: the gateway's one table, FusionAuth's 401 for refused keys, then the route's
 * own documented overrides.
 */
export function rejectWith(mapping: BackendErrorMapping = {}): (error: unknown) => never {
  const merged: BackendErrorMapping = {
    ...mapping,
    statuses: { ...FUSIONAUTH_STATUSES, ...mapping.statuses },
    codes: { ...FUSIONAUTH_CODES, ...mapping.codes },
  };
  return (error) => {
    throw toApiError(error, merged);
  };
}
