import { randomUUID } from 'node:crypto';
import type { Clock } from '@tessera/clock';
import { checkUserBound, revocationLimitReached } from '../revocation-limit.js';
import {
  type AppendLimits,
  type AppendOutcome,
  isUserWide,
  type LogPosition,
  type Revocation,
  type RevocationLog,
  type RevocationSnapshot,
  type SequencedRevocation,
  supersedes,
} from '../revocation-log.js';

/** A live entry, with the user it counts against ('' when none). */
interface LiveEntry {
  readonly revocation: Revocation;
  readonly countedFor: string;
}

/**
 * The revocation log in process memory, for `npm start` without Redis. Keeps at most
 * `capacity` entries for readers that resume; older readers get a snapshot instead.
 */
export class MemoryRevocationLog implements RevocationLog {
  readonly #clock: Clock;
  readonly #capacity: number;
  /** Recent entries, for readers that resume after a sequence number. */
  #entries: SequencedRevocation[] = [];
  /** Every revocation not yet past its expiry, for snapshots. */
  #live: LiveEntry[] = [];
  #sequence = 0n;
  /** A process-memory log loses everything with the process, so each one is its own epoch. */
  readonly #epoch = randomUUID();
  readonly #waiters = new Set<() => void>();

  constructor(options: { clock: Clock; capacity?: number }) {
    this.#clock = options.clock;
    this.#capacity = options.capacity ?? 10_000;
  }

  async append(revocation: Revocation, limits?: AppendLimits): Promise<bigint> {
    return (await this.#append(revocation, limits)).sequence;
  }

  async appendBounded(revocation: Revocation, limits: AppendLimits): Promise<AppendOutcome> {
    return this.#append(revocation, limits);
  }

  /** Synchronous from the count to the write, so no other append interleaves. */
  #append(given: Revocation, limits: AppendLimits | undefined): AppendOutcome {
    const bound = limits?.perUser;
    if (bound !== undefined) checkUserBound(given, bound);
    // Counting scans every live entry: only appends with limits pay for it (an unlimited
    // append stays O(1), as a bulk load needs).
    if (limits !== undefined) this.#prune();
    const countedFor = bound === undefined ? '' : userKey(given.tenantId, bound.userId);
    let revocation = given;
    if (bound !== undefined) {
      let held = 0;
      for (const entry of this.#live) if (entry.countedFor === countedFor) held += 1;
      if (held >= bound.maxLive) revocation = bound.userWide;
    }
    // Only an entry counted against the same user is replaced (a revocation of the user by a
    // key that did not name a bound stays as it was published).
    const replaced =
      bound !== undefined && isUserWide(revocation)
        ? this.#live.filter(
            (entry) => entry.countedFor === countedFor && supersedes(revocation, entry.revocation),
          )
        : [];
    if (limits !== undefined && replaced.length === 0) {
      let live = 0;
      for (const entry of this.#live) if (entry.revocation.tenantId === given.tenantId) live += 1;
      if (live >= limits.maxLivePerTenant) {
        throw revocationLimitReached(given.tenantId, limits.maxLivePerTenant);
      }
    }
    if (replaced.length > 0) this.#live = this.#live.filter((entry) => !replaced.includes(entry));
    this.#sequence += 1n;
    this.#entries.push({ sequence: this.#sequence, revocation });
    this.#live.push({ revocation, countedFor });
    if (this.#entries.length > this.#capacity) this.#entries = this.#entries.slice(-this.#capacity);
    for (const wake of this.#waiters) wake();
    return { sequence: this.#sequence, revocation };
  }

  async snapshot(): Promise<RevocationSnapshot> {
    this.#prune();
    return {
      epoch: this.#epoch,
      sequence: this.#sequence,
      revocations: this.#live.map((entry) => entry.revocation),
    };
  }

  #prune(): void {
    const now = this.#clock.now();
    // An entry past its expiry covers only tokens that have expired on their own.
    this.#live = this.#live.filter((entry) => entry.revocation.expiresAt > now);
  }

  async readAfter(
    afterSequence: bigint,
    limit: number,
    epoch?: string,
  ): Promise<SequencedRevocation[] | undefined> {
    if (epoch !== undefined && epoch !== this.#epoch) return undefined;
    if (afterSequence > this.#sequence) return undefined;
    if (afterSequence === this.#sequence) return [];
    const first = this.#entries[0];
    if (first === undefined || first.sequence > afterSequence + 1n) return undefined;
    return this.#entries.filter((entry) => entry.sequence > afterSequence).slice(0, limit);
  }

  async waitAfter(
    afterSequence: bigint,
    blockMs: number,
    signal: AbortSignal,
    epoch?: string,
  ): Promise<SequencedRevocation[] | undefined> {
    if (
      afterSequence !== this.#sequence ||
      signal.aborted ||
      (epoch ?? this.#epoch) !== this.#epoch
    )
      return this.readAfter(afterSequence, 1000, epoch);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, blockMs);
      signal.addEventListener('abort', done, { once: true });
      this.#waiters.add(done);
    });
    return this.readAfter(afterSequence, 1000, epoch);
  }

  async latestSequence(): Promise<bigint> {
    return this.#sequence;
  }

  async position(): Promise<LogPosition> {
    return { epoch: this.#epoch, sequence: this.#sequence };
  }
}

/** The key of one user's count: tenant and user, unambiguous whatever characters they hold. */
function userKey(tenantId: string, userId: string): string {
  return JSON.stringify([tenantId, userId]);
}
