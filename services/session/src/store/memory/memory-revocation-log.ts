import { randomUUID } from 'node:crypto';
import type { Clock } from '@tessera/clock';
import { revocationLimitReached } from '../revocation-limit.js';
import type {
  AppendLimits,
  LogPosition,
  Revocation,
  RevocationLog,
  RevocationSnapshot,
  SequencedRevocation,
} from '../revocation-log.js';

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
  #live: Revocation[] = [];
  #sequence = 0n;
  /** A process-memory log loses everything with the process, so each one is its own epoch. */
  readonly #epoch = randomUUID();
  readonly #waiters = new Set<() => void>();

  constructor(options: { clock: Clock; capacity?: number }) {
    this.#clock = options.clock;
    this.#capacity = options.capacity ?? 10_000;
  }

  async append(revocation: Revocation, limits?: AppendLimits): Promise<bigint> {
    if (limits !== undefined) {
      this.#prune();
      let live = 0;
      for (const entry of this.#live) if (entry.tenantId === revocation.tenantId) live += 1;
      if (live >= limits.maxLivePerTenant) {
        throw revocationLimitReached(revocation.tenantId, limits.maxLivePerTenant);
      }
    }
    this.#sequence += 1n;
    this.#entries.push({ sequence: this.#sequence, revocation });
    this.#live.push(revocation);
    if (this.#entries.length > this.#capacity) this.#entries = this.#entries.slice(-this.#capacity);
    for (const wake of this.#waiters) wake();
    return this.#sequence;
  }

  async snapshot(): Promise<RevocationSnapshot> {
    this.#prune();
    return { epoch: this.#epoch, sequence: this.#sequence, revocations: [...this.#live] };
  }

  #prune(): void {
    const now = this.#clock.now();
    // An entry past its expiry covers only tokens that have expired on their own.
    this.#live = this.#live.filter((revocation) => revocation.expiresAt > now);
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
