import type { Realm } from '@tessera/config';
import type { Revocation } from '../store/revocation-log.js';
import type { RevokeSelector } from '../store/session-store.js';

/**
 * How long a revocation must be remembered: until every access token it may cover has
 * expired. That is the longest lifetime any token of the tenant can have — session tokens
 * (the tenant's and its applications' access-token TTLs), webMethods application tokens, and
 * vended or generated tokens (up to the tenant's maximum) whose `sub` may name the user —
 * plus the clock tolerance validators allow.
 */
export function revocationLifetimeMs(realm: Realm, tenantId: string): number {
  const tenant = realm.tenants.get(tenantId);
  if (tenant === undefined) return 0;
  let longest = Math.max(
    tenant.jwt.accessTokenTimeToLiveSeconds,
    tenant.jwt.maximumTimeToLiveSeconds,
  );
  for (const application of realm.document.applications) {
    if (application.tenantId !== tenantId) continue;
    longest = Math.max(
      longest,
      application.jwt.accessTokenTimeToLiveSeconds ?? 0,
      application.webMethods.expiryInMinutes * 60,
    );
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
