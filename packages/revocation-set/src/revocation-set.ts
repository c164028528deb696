/** One live revocation, as the session service publishes it (epoch-ms instants). */
export interface LiveRevocation {
  readonly tenantId: string;
  readonly sessionId: string;
  readonly userId: string;
  readonly applicationId: string;
  readonly notBefore: number;
  readonly expiresAt: number;
}

/**
 * The revocations a validator applies, indexed by session, user and application so a check
 * costs a few map lookups however many entries there are. A token is revoked when an entry of
 * its tenant matches every field the entry sets (`sid`, `sub`, `applicationId`) and the token
 * was issued before the entry's `notBefore`. `iat` has whole seconds, so a token issued in the
 * same second as the revocation counts as before it: a revocation never misses a token it
 * covers, at the price of refusing a token minted in that same second. The session service
 * sets a session entry's `notBefore` to its own end, so it covers every token of the family
 * whatever its `iat`, and a user or application entry's to the revoke plus a clock-skew margin.
 */
export class RevocationSet {
  #bySession = new Map<string, LiveRevocation[]>();
  #byUser = new Map<string, LiveRevocation[]>();
  #byApplication = new Map<string, LiveRevocation[]>();
  #size = 0;
  /** The sequence number of the last applied snapshot or event. */
  sequence = 0n;

  /** Number of live entries. */
  get size(): number {
    return this.#size;
  }

  /**
   * Applies a snapshot: its entries, plus the entries already held that it lacks. A snapshot
   * never revokes less: after the log lost data (FLUSHALL, a restart without persistence) it
   * no longer holds revocations this set applied, yet the tokens they cover are still out
   * there. Entries leave only by expiring ({@link prune}).
   */
  replace(revocations: readonly LiveRevocation[], sequence: bigint): void {
    const held = [this.#bySession, this.#byUser, this.#byApplication].flatMap((map) =>
      [...map.values()].flat(),
    );
    this.#bySession = new Map();
    this.#byUser = new Map();
    this.#byApplication = new Map();
    this.#size = 0;
    const seen = new Set<string>();
    for (const revocation of [...revocations, ...held]) {
      const key = [
        revocation.tenantId,
        revocation.sessionId,
        revocation.userId,
        revocation.applicationId,
        revocation.notBefore,
        revocation.expiresAt,
      ].join('\u0000');
      if (seen.has(key)) continue;
      seen.add(key);
      this.#index(revocation);
    }
    this.sequence = sequence;
  }

  /** Adds one event. */
  add(revocation: LiveRevocation, sequence: bigint): void {
    this.#index(revocation);
    this.sequence = sequence;
  }

  /** Drops entries whose covered tokens have all expired. */
  prune(nowMs: number): void {
    const keep = (list: LiveRevocation[]) => list.filter((r) => r.expiresAt > nowMs);
    let size = 0;
    for (const map of [this.#bySession, this.#byUser, this.#byApplication]) {
      for (const [key, list] of map) {
        const kept = keep(list);
        if (kept.length === 0) map.delete(key);
        else map.set(key, kept);
      }
    }
    for (const list of this.#bySession.values()) size += list.length;
    for (const list of this.#byUser.values()) size += list.length;
    for (const list of this.#byApplication.values()) size += list.length;
    this.#size = size;
  }

  /** Whether the access token with these claims, validated for `tenantId`, is revoked. */
  isRevoked(claims: Readonly<Record<string, unknown>>, tenantId: string, nowMs: number): boolean {
    if (this.#size === 0) return false;
    const iat = typeof claims.iat === 'number' ? claims.iat * 1000 : Number.NEGATIVE_INFINITY;
    const matches = (list: readonly LiveRevocation[] | undefined) =>
      list?.some(
        (r) =>
          r.tenantId === tenantId &&
          r.expiresAt > nowMs &&
          iat < r.notBefore &&
          (r.sessionId === '' || r.sessionId === claims.sid) &&
          (r.userId === '' || r.userId === claims.sub) &&
          (r.applicationId === '' || r.applicationId === claims.applicationId),
      ) ?? false;
    return (
      (typeof claims.sid === 'string' && matches(this.#bySession.get(claims.sid))) ||
      (typeof claims.sub === 'string' && matches(this.#byUser.get(claims.sub))) ||
      (typeof claims.applicationId === 'string' &&
        matches(this.#byApplication.get(claims.applicationId)))
    );
  }

  #index(revocation: LiveRevocation): void {
    // Each entry is indexed under its most selective field only.
    const [map, key] =
      revocation.sessionId !== ''
        ? [this.#bySession, revocation.sessionId]
        : revocation.userId !== ''
          ? [this.#byUser, revocation.userId]
          : [this.#byApplication, revocation.applicationId];
    const list = map.get(key);
    if (list === undefined) {
      map.set(key, [revocation]);
      this.#size += 1;
      return;
    }
    // A revocation of every token of a user replaces the user's earlier ones it covers (the
    // session service publishes one each time a user goes past their bound), so a user
    // revoking in a loop does not grow the set.
    if (isUserWide(revocation)) {
      const kept = list.filter((older) => !supersedes(revocation, older));
      this.#size -= list.length - kept.length;
      kept.push(revocation);
      map.set(key, kept);
    } else {
      list.push(revocation);
    }
    this.#size += 1;
  }
}

function isUserWide(revocation: LiveRevocation): boolean {
  return revocation.userId !== '' && revocation.sessionId === '' && revocation.applicationId === '';
}

/** Whether user-wide `newer` covers every token user-wide `older` does, as long or longer. */
function supersedes(newer: LiveRevocation, older: LiveRevocation): boolean {
  return (
    isUserWide(older) &&
    newer.tenantId === older.tenantId &&
    newer.userId === older.userId &&
    newer.notBefore >= older.notBefore &&
    newer.expiresAt >= older.expiresAt
  );
}
