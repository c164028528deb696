import type { Clock } from '@tessera/clock';
import type {
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
  readonly #waiters = new Set<() => void>();

  constructor(options: { clock: Clock; capacity?: number }) {
    this.#clock = options.clock;
    this.#capacity = options.capacity ?? 10_000;
  }

  async append(revocation: Revocation): Promise<bigint> {
    this.#sequence += 1n;
    this.#entries.push({ sequence: this.#sequence, revocation });
    this.#live.push(revocation);
    if (this.#entries.length > this.#capacity) this.#entries = this.#entries.slice(-this.#capacity);
    for (const wake of this.#waiters) wake();
    return this.#sequence;
  }

  async snapshot(): Promise<RevocationSnapshot> {
    const now = this.#clock.now();
    // An entry past its expiry covers only tokens that have expired on their own.
    this.#live = this.#live.filter((revocation) => revocation.expiresAt > now);
    return { sequence: this.#sequence, revocations: [...this.#live] };
  }

  async readAfter(
    afterSequence: bigint,
    limit: number,
  ): Promise<SequencedRevocation[] | undefined> {
    if (afterSequence >= this.#sequence) return [];
    const first = this.#entries[0];
    if (first === undefined || first.sequence > afterSequence + 1n) return undefined;
    return this.#entries.filter((entry) => entry.sequence > afterSequence).slice(0, limit);
  }

  async waitAfter(
    afterSequence: bigint,
    blockMs: number,
    signal: AbortSignal,
  ): Promise<SequencedRevocation[] | undefined> {
    if (afterSequence < this.#sequence || signal.aborted)
      return this.readAfter(afterSequence, 1000);
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
    return this.readAfter(afterSequence, 1000);
  }

  async latestSequence(): Promise<bigint> {
    return this.#sequence;
  }
}
