/**
 * Revocations of already-issued access tokens, as validators (issuer, gateway, sidecars)
 * apply them: every revoke appends an entry with a gap-free sequence number, and validators
 * keep the live entries until the covered tokens have expired.
 */

/**
 * One revocation: access tokens whose claims match every set field (`sid`, `sub`,
 * `applicationId`, within `tid`) and that were issued before `notBefore` are revoked until
 * `expiresAt`, after which every such token has expired on its own and the entry is dropped.
 */
export interface Revocation {
  readonly tenantId: string;
  /** The refresh-token id (the access tokens' `sid`), or '' when not by session. */
  readonly sessionId: string;
  /** '' when not by user. */
  readonly userId: string;
  /** '' when not by application. */
  readonly applicationId: string;
  /** Epoch ms. */
  readonly notBefore: number;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/** A revocation with its place in the log. */
export interface SequencedRevocation {
  readonly sequence: bigint;
  readonly revocation: Revocation;
}

/**
 * Where the log stands: its epoch (a random id stored with the log, made anew whenever the
 * log is found without one, so a store that lost its data gets a new epoch) and its latest
 * sequence number (0 when empty).
 */
export interface LogPosition {
  readonly epoch: string;
  readonly sequence: bigint;
}

/** The live revocations as of one sequence number of one epoch. */
export interface RevocationSnapshot {
  readonly epoch: string;
  readonly sequence: bigint;
  readonly revocations: readonly Revocation[];
}

/**
 * The bound on what one user's revokes may hold: entries appended with it are counted per
 * (tenant, user), and once the user holds `maxLive` live ones the append writes `userWide`
 * instead of its revocation.
 */
export interface UserBound {
  readonly userId: string;
  readonly maxLive: number;
  /**
   * A revocation of every token of the user (`userId` set, `sessionId` and `applicationId`
   * empty) in the same tenant, covering every token the bounded revocation would: written
   * in its place once the user is at the bound.
   */
  readonly userWide: Revocation;
}

/** Limits an append checks atomically with the write. */
export interface AppendLimits {
  /**
   * The most live entries the revocation's tenant may hold; an append beyond it is refused
   * with REVOCATION_LIMIT_REACHED (gRPC RESOURCE_EXHAUSTED) and writes nothing. An append
   * that replaces a user-wide entry (see `perUser`) adds nothing and is never refused.
   */
  readonly maxLivePerTenant: number;
  /**
   * Counts the entry against its user. A user-wide entry appended this way (given, or
   * written at the bound) also replaces the user's previous user-wide entry when it covers
   * it (its `notBefore` and `expiresAt` are not earlier): the old one leaves the live set
   * and the user's count, so one user holds at most `maxLive + 1` live entries.
   */
  readonly perUser?: UserBound;
}

/** What an append wrote. */
export interface AppendOutcome {
  readonly sequence: bigint;
  /** The revocation appended, or `perUser.userWide` when the user was at the bound. */
  readonly revocation: Revocation;
}

/** Whether a revocation covers every token of one user: only `userId` is set. */
export function isUserWide(revocation: Revocation): boolean {
  return revocation.userId !== '' && revocation.sessionId === '' && revocation.applicationId === '';
}

/**
 * Whether user-wide `newer` covers everything user-wide `older` does (same tenant and user,
 * `notBefore` and `expiresAt` not earlier), so `older` may be dropped.
 */
export function supersedes(newer: Revocation, older: Revocation): boolean {
  return (
    isUserWide(newer) &&
    isUserWide(older) &&
    newer.tenantId === older.tenantId &&
    newer.userId === older.userId &&
    newer.notBefore >= older.notBefore &&
    newer.expiresAt >= older.expiresAt
  );
}

/** The revocation log port (Redis stream + sorted set in production). */
export interface RevocationLog {
  /**
   * Appends a revocation; resolves with its sequence number once it is durable in the store.
   * REVOCATION_LIMIT_REACHED when the tenant already holds `limits.maxLivePerTenant` live entries.
   */
  append(revocation: Revocation, limits?: AppendLimits): Promise<bigint>;
  /**
   * As `append`, and tells what was written (with `limits.perUser`, the user-wide
   * revocation in place of `revocation` once the user is at the bound). The count, the
   * choice and the write are one atomic step.
   */
  appendBounded(revocation: Revocation, limits: AppendLimits): Promise<AppendOutcome>;
  /** The live revocations now (entries past `expiresAt` by the injected clock are left out). */
  snapshot(): Promise<RevocationSnapshot>;
  /**
   * Entries after `afterSequence`, oldest first, at most `limit`; undefined when the log no
   * longer holds all of them, when `afterSequence` is ahead of the log (it lost entries), or
   * when `epoch` is given and is not the log's (it lost its data): the caller must take a
   * snapshot instead.
   */
  readAfter(
    afterSequence: bigint,
    limit: number,
    epoch?: string,
  ): Promise<SequencedRevocation[] | undefined>;
  /**
   * Waits up to `blockMs` for entries after `afterSequence` (Redis XREAD BLOCK on a dedicated
   * connection); resolves with what arrived ([] on timeout), undefined as in readAfter.
   * Rejects UNAVAILABLE when the store is unreachable. `signal` aborts the wait.
   */
  waitAfter(
    afterSequence: bigint,
    blockMs: number,
    signal: AbortSignal,
    epoch?: string,
  ): Promise<SequencedRevocation[] | undefined>;
  /** The latest sequence number (0 when the log is empty). */
  latestSequence(): Promise<bigint>;
  /** The epoch and latest sequence number, read in one step. */
  position(): Promise<LogPosition>;
}
