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

/** The live revocations as of one sequence number. */
export interface RevocationSnapshot {
  readonly sequence: bigint;
  readonly revocations: readonly Revocation[];
}

/** The revocation log port (Redis stream + sorted set in production). */
export interface RevocationLog {
  /** Appends a revocation; resolves with its sequence number once it is durable in the store. */
  append(revocation: Revocation): Promise<bigint>;
  /** The live revocations now (entries past `expiresAt` by the injected clock are left out). */
  snapshot(): Promise<RevocationSnapshot>;
  /**
   * Entries after `afterSequence`, oldest first, at most `limit`; undefined when the log no
   * longer holds all of them (the caller must take a snapshot instead).
   */
  readAfter(afterSequence: bigint, limit: number): Promise<SequencedRevocation[] | undefined>;
  /**
   * Waits up to `blockMs` for entries after `afterSequence` (Redis XREAD BLOCK on a dedicated
   * connection); resolves with what arrived ([] on timeout), undefined as in readAfter.
   * Rejects UNAVAILABLE when the store is unreachable. `signal` aborts the wait.
   */
  waitAfter(
    afterSequence: bigint,
    blockMs: number,
    signal: AbortSignal,
  ): Promise<SequencedRevocation[] | undefined>;
  /** The latest sequence number (0 when the log is empty). */
  latestSequence(): Promise<bigint>;
}
