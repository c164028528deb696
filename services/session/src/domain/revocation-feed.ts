import type { Logger } from '@tessera/logger';
import type {
  RevocationLog,
  RevocationSnapshot,
  SequencedRevocation,
} from '../store/revocation-log.js';

/** What a WatchRevocations subscriber receives. */
export type FeedMessage =
  | { readonly kind: 'snapshot'; readonly snapshot: RevocationSnapshot }
  | { readonly kind: 'event'; readonly entry: SequencedRevocation }
  | { readonly kind: 'heartbeat'; readonly sequence: bigint };

/**
 * Fans the revocation log out to every WatchRevocations subscriber of this process: one
 * tail loop reads the log (one blocking Redis read, not one per subscriber) and keeps a
 * window of recent entries; each subscriber resumes from its own sequence number, gets a
 * snapshot when it is new or too far behind, and a heartbeat when idle so it can tell a
 * quiet log from a broken stream.
 */
export class RevocationFeed {
  readonly #log: RevocationLog;
  readonly #logger: Logger;
  readonly #window: number;
  readonly #blockMs: number;
  #recent: SequencedRevocation[] = [];
  #latest = 0n;
  #waiters = new Set<() => void>();
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(options: { log: RevocationLog; logger: Logger; window?: number; blockMs?: number }) {
    this.#log = options.log;
    this.#logger = options.logger;
    this.#window = options.window ?? 10_000;
    this.#blockMs = options.blockMs ?? 5_000;
  }

  /** Starts tailing the log from its current end. */
  async start(): Promise<void> {
    this.#latest = await this.#log.latestSequence();
    this.#loop = this.#tail();
  }

  /** Stops tailing and releases every waiting subscriber. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wakeAll();
    await this.#loop;
  }

  /** Tells the feed about an entry this process appended, so local subscribers see it at once. */
  notifyAppended(): void {
    this.#wakeAll();
  }

  async #tail(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      try {
        const entries = await this.#log.waitAfter(this.#latest, this.#blockMs, this.#stop.signal);
        if (entries === undefined) {
          // The log was trimmed past our position: restart from its end; subscribers that
          // fall outside the window resync with a snapshot.
          this.#latest = await this.#log.latestSequence();
          this.#recent = [];
        } else if (entries.length > 0) {
          this.#recent.push(...entries);
          if (this.#recent.length > this.#window) this.#recent = this.#recent.slice(-this.#window);
          this.#latest = entries[entries.length - 1]?.sequence ?? this.#latest;
        }
        this.#wakeAll();
      } catch (error) {
        if (this.#stop.signal.aborted) return;
        this.#logger.warn({ err: error }, 'revocation log unreachable; retrying');
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  #wakeAll(): void {
    const waiters = this.#waiters;
    this.#waiters = new Set();
    for (const wake of waiters) wake();
  }

  #waitForChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.#waiters.add(done);
    });
  }

  /** Entries after `sequence` from the window, or from the log, or undefined (resync needed). */
  async #entriesAfter(sequence: bigint): Promise<SequencedRevocation[] | undefined> {
    const first = this.#recent[0];
    if (first !== undefined && first.sequence <= sequence + 1n) {
      return this.#recent.filter((entry) => entry.sequence > sequence);
    }
    return this.#log.readAfter(sequence, this.#window);
  }

  /** One subscriber's stream, until `signal` aborts. */
  async *subscribe(
    afterSequence: bigint,
    heartbeatMs: number,
    signal: AbortSignal,
  ): AsyncGenerator<FeedMessage> {
    let cursor = afterSequence;
    let pending = cursor === 0n ? undefined : await this.#entriesAfter(cursor);
    if (pending === undefined) {
      const snapshot = await this.#log.snapshot();
      cursor = snapshot.sequence;
      pending = [];
      yield { kind: 'snapshot', snapshot };
    }
    while (!signal.aborted && !this.#stop.signal.aborted) {
      for (const entry of pending) {
        yield { kind: 'event', entry };
        cursor = entry.sequence;
      }
      const latestBefore = this.#latest;
      if (cursor >= latestBefore) {
        const before = Date.now();
        await this.#waitForChange(heartbeatMs, signal);
        if (Date.now() - before >= heartbeatMs && this.#latest <= cursor) {
          yield { kind: 'heartbeat', sequence: this.#latest > cursor ? this.#latest : cursor };
        }
      }
      // Appends of this process land in the log before notifyAppended; read them from there.
      const next = await this.#entriesAfter(cursor);
      if (next === undefined) {
        const snapshot = await this.#log.snapshot();
        cursor = snapshot.sequence;
        pending = [];
        yield { kind: 'snapshot', snapshot };
      } else {
        pending = next;
      }
    }
  }
}
