import type { Realm } from '@tessera/config';
import type { Revocation } from '../store/revocation-log.js';
import type { RevokeSelector } from '../store/session-store.js';

/**
 * How long after it is published a revocation must be remembered: until every access token
 * of a session it may cover has expired. That is the longest access-token lifetime of the
 * tenant (its own and its applications' session tokens, webMethods application tokens) plus
 * the clock tolerance validators allow.
 *
 * Vended and generated tokens may live up to the tenant's `maximumTimeToLiveSeconds` (ten
 * years by default) and may name a user in `sub`; they are deliberately not counted here: an
 * entry kept that long would make the set grow without bound. A revocation by user reaches
 * such a token only while its entry lives; revoke the key that minted it, or keep their
 * lifetimes short.
 */
export function revocationLifetimeMs(realm: Realm, tenantId: string): number {
  const tenant = realm.tenants.get(tenantId);
  if (tenant === undefined) return 0;
  let longest = tenant.jwt.accessTokenTimeToLiveSeconds;
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

/**
 * How long the stores must keep an expired family so that revoking it still publishes (its
 * last access tokens outlive it): the longest revocation lifetime of any tenant plus its
 * skew margin, and never less than a minute.
 */
export function endedSessionRetentionMs(realm: Realm): number {
  let longest = 60_000;
  for (const [tenantId, tenant] of realm.tenants) {
    longest = Math.max(
      longest,
      revocationLifetimeMs(realm, tenantId) + tenant.revocation.clockSkewSeconds * 1000,
    );
  }
  return longest;
}

/** What a revoke found to publish for. */
export interface RevokeFindings {
  /** Ids of the families the revoke ended, or that are known to have ended recently. */
  readonly sessionIds: readonly string[];
  /**
   * For a revocation by user or application: whether any token it covers may still be out
   * there (a family was revoked, or the user or application is known to the tenant). When
   * false nothing is published, so revoking what does not exist never grows the set.
   */
  readonly subjectKnown: boolean;
  /**
   * The user of each revoked session, by session id, where known: their entries count
   * against that user's bound (see `userBoundOf`). Sessions left out count for no user.
   */
  readonly owners?: ReadonlyMap<string, string>;
}

/**
 * The access-token revocations a refresh-token revocation implies ([] when it covers nothing).
 *
 * - By session (id, token): the entry covers every token carrying that `sid`, whatever its
 *   `iat`: `notBefore` is the entry's own end, not the time of the revoke, so no clock skew
 *   between the session host and the issuers lets a token of the family through.
 * - By user or application: the entry covers tokens issued up to `clockSkewSeconds` after the
 *   revoke by the session host's clock, so an issuer whose clock runs that much ahead cannot
 *   mint a token just before the revoke that escapes it. The price: a token issued within
 *   that margin after the revoke is refused too.
 */
export function revocationOf(
  realm: Realm,
  tenantId: string,
  selector: RevokeSelector,
  found: RevokeFindings,
  nowMs: number,
): Revocation[] {
  const skewMs = (realm.tenants.get(tenantId)?.revocation.clockSkewSeconds ?? 0) * 1000;
  const notBefore = nowMs + skewMs;
  // A token issued just before `notBefore` lives a full lifetime from there.
  const expiresAt = notBefore + revocationLifetimeMs(realm, tenantId);
  const base = { tenantId, sessionId: '', userId: '', applicationId: '', notBefore, expiresAt };
  switch (selector.kind) {
    case 'id':
    case 'token':
      return [...new Set(found.sessionIds)].map((sessionId) => ({
        ...base,
        sessionId,
        notBefore: expiresAt,
      }));
    case 'user':
      return found.subjectKnown ? [{ ...base, userId: selector.userId }] : [];
    case 'application':
      return found.subjectKnown ? [{ ...base, applicationId: selector.applicationId }] : [];
    case 'user-application':
      return found.subjectKnown
        ? [{ ...base, userId: selector.userId, applicationId: selector.applicationId }]
        : [];
  }
}

/**
 * The user a revocation counts against (its owner, or the user it names), or '' for none:
 * an application-wide revocation, or a session whose user is not known.
 */
export function ownerOf(revocation: Revocation, found: RevokeFindings): string {
  if (revocation.userId !== '') return revocation.userId;
  return found.owners?.get(revocation.sessionId) ?? '';
}

/**
 * The bound on one user's live revocations in a tenant, and what stands in for the next one
 * once they hold that many: a revocation of every token of the user (as a revoke by user
 * would publish). It covers every token a session entry of theirs would, since the session's
 * tokens carry the user in `sub` and none are minted once the session is revoked (an issuer
 * clock running ahead within `clockSkewSeconds` is covered by its `notBefore`). The price:
 * the user is logged out everywhere, which a user revoking in a loop has asked for.
 */
export function userBoundOf(
  realm: Realm,
  tenantId: string,
  userId: string,
  nowMs: number,
): { readonly userId: string; readonly maxLive: number; readonly userWide: Revocation } {
  const [userWide] = revocationOf(
    realm,
    tenantId,
    { kind: 'user', userId },
    { sessionIds: [], subjectKnown: true },
    nowMs,
  );
  if (userWide === undefined) throw new Error('a known user always has a revocation');
  return {
    userId,
    maxLive: realm.tenants.get(tenantId)?.revocation.maxLiveEntriesPerUser ?? 1,
    userWide,
  };
}
