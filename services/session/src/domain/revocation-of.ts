import type { Realm } from '@tessera/config';
import type { Revocation } from '../store/revocation-log.js';
import type { RevokeSelector } from '../store/session-store.js';

/**
 * How long a revocation must be remembered: until every access token it covers has expired,
 * i.e. the longest access-token lifetime of the tenant or any of its applications, plus the
 * clock tolerance validators allow.
 */
export function revocationLifetimeMs(realm: Realm, tenantId: string): number {
  const tenant = realm.tenants.get(tenantId);
  if (tenant === undefined) return 0;
  let longest = tenant.jwt.accessTokenTimeToLiveSeconds;
  for (const application of realm.document.applications) {
    if (application.tenantId !== tenantId) continue;
    longest = Math.max(longest, application.jwt.accessTokenTimeToLiveSeconds ?? 0);
  }
  return (longest + tenant.jwt.clockToleranceSeconds) * 1000;
}

/** The access-token revocation a refresh-token revocation implies. */
export function revocationOf(
  realm: Realm,
  tenantId: string,
  selector: RevokeSelector,
  revokedIds: readonly string[],
  nowMs: number,
): Revocation[] {
  const base = {
    tenantId,
    sessionId: '',
    userId: '',
    applicationId: '',
    notBefore: nowMs,
    expiresAt: nowMs + revocationLifetimeMs(realm, tenantId),
  };
  switch (selector.kind) {
    case 'id':
    case 'token':
      return revokedIds.map((sessionId) => ({ ...base, sessionId }));
    case 'user':
      return [{ ...base, userId: selector.userId }];
    case 'application':
      return [{ ...base, applicationId: selector.applicationId }];
    case 'user-application':
      return [{ ...base, userId: selector.userId, applicationId: selector.applicationId }];
  }
}
