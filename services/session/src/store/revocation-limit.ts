import { TesseraError } from '@tessera/errors';

/** The error an append beyond a tenant's live-revocation limit fails with. */
export function revocationLimitReached(tenantId: string, limit: number): TesseraError {
  return new TesseraError(
    'REVOCATION_LIMIT_REACHED',
    `the tenant holds ${limit} live revocations, its limit; entries free up as they expire`,
    { metadata: { tenantId, limit: String(limit) } },
  );
}
