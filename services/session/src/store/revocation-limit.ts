import { invalidArgument, TesseraError } from '@tessera/errors';
import { isUserWide, type Revocation, type UserBound } from './revocation-log.js';

/** The error an append beyond a tenant's live-revocation limit fails with. */
export function revocationLimitReached(tenantId: string, limit: number): TesseraError {
  return new TesseraError(
    'REVOCATION_LIMIT_REACHED',
    `the tenant holds ${limit} live revocations, its limit; entries free up as they expire`,
    { metadata: { tenantId, limit: String(limit) } },
  );
}

/**
 * INVALID_ARGUMENT unless `bound` names a positive bound and a user-wide revocation of its
 * user in the revocation's tenant (anything else could not stand in for the revocation).
 */
export function checkUserBound(revocation: Revocation, bound: UserBound): void {
  if (!Number.isSafeInteger(bound.maxLive) || bound.maxLive < 1) {
    throw invalidArgument('perUser.maxLive', 'the per-user bound must be a positive integer');
  }
  const wide = bound.userWide;
  if (
    bound.userId === '' ||
    !isUserWide(wide) ||
    wide.userId !== bound.userId ||
    wide.tenantId !== revocation.tenantId ||
    !Number.isFinite(wide.notBefore) ||
    !Number.isFinite(wide.expiresAt)
  ) {
    throw invalidArgument(
      'perUser.userWide',
      "the replacement must revoke every token of the bound's user in the same tenant",
    );
  }
}
