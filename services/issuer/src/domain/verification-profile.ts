import { type TenantConfig, tenantKeyIds } from '@tessera/config';
import type { Keyring, VerificationProfile } from '@tessera/jwt-core';

/** What validating a token of `tenant` means: its issuer, its keys, its tolerance. */
export function verificationProfileOf(tenant: TenantConfig, keyring: Keyring): VerificationProfile {
  return {
    tenantId: tenant.id,
    issuer: tenant.issuer,
    keyIds: tenantKeyIds(tenant, keyring),
    clockToleranceSeconds: tenant.jwt.clockToleranceSeconds,
    audiences: tenant.jwt.audiences,
  };
}
