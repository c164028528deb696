import { type ApplicationConfig, type TenantConfig, tenantKeyIds } from '@tessera/config';
import { TesseraError } from '@tessera/errors';
import type { Keyring, KeyringKey } from '@tessera/jwt-core';

/**
 * The key a token is signed with: the one the caller asked for (a `current` or `next` key of
 * the tenant), else the application's pinned key, else the tenant's `current` key. A key
 * outside the tenant is never used, so one tenant cannot mint tokens that verify as another.
 */
export function selectSigningKey(
  keyring: Keyring,
  tenant: TenantConfig,
  options: {
    application?: ApplicationConfig | undefined;
    requestedKid?: string;
    field?: string;
  } = {},
): KeyringKey {
  const allowed = tenantKeyIds(tenant, keyring);
  const wanted = options.requestedKid || options.application?.jwt.signingKeyId;
  if (wanted) {
    const key = allowed.includes(wanted) ? keyring.get(wanted) : undefined;
    if (key === undefined || key.state === 'retired') {
      throw new TesseraError('KEY_NOT_FOUND', `no signing key ${wanted} for this tenant`, {
        field: options.field ?? 'key_id',
      });
    }
    return key;
  }
  const current = allowed.map((kid) => keyring.get(kid)).find((key) => key?.state === 'current');
  if (current === undefined) {
    // The realm loader refuses such a configuration; reaching this is a bug, not bad input.
    throw new TesseraError('INTERNAL', `tenant ${tenant.id} has no current signing key`);
  }
  return current;
}
