import type { Logger } from '@tessera/logger';
import type {
  LogPosition,
  RevocationLog,
  RevocationSnapshot,
  SequencedRevocation,
} from '../store/revocation-log.js';

/** What a WatchRevocations subscriber receives. */
export type FeedMessage =
  | { readonly kind: 'snapshot'; readonly snapshot: RevocationSnapshot }
  | { readonly kind: 'event'; readonly entry: SequencedRevocation }
  | { readonly kind: 'heartbeat'; readonly position: LogPosition };

/**
 * Fans the revocation log out to every WatchRevocations subscriber of this process: one
 * tail loop reads the log (one blocking Redis read, not one per subscriber) and keeps a
 * window of recent entries; each subscriber resumes from its own sequence number, gets a
 * snapshot when it is new, too far behind, ahead of the log or on another epoch (the log lost
 * data: FLUSHALL, a restart without persistence, a failover that lost the last writes), and
 * a heartbeat with the log's own position when idle, so it can tell a quiet log from a broken
 * stream or a log that went backwards.
 */
export class RevocationFeed {
  readonly #log: RevocationLog;
  readonly #logger: Logger;
  readonly #window: number;
  readonly #blockMs: number;
  #recent: SequencedRevocation[] = [];
  #latest = 0n;
  #epoch = '';
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
    const position = await this.#log.position();
    this.#latest = position.sequence;
    this.#epoch = position.epoch;
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
        const entries = await this.#log.waitAfter(
          this.#latest,
          this.#blockMs,
          this.#stop.signal,
          this.#epoch,
        );
        if (entries === undefined) {
          // The log was trimmed past our position, went backwards or has a new epoch: restart
          // from its end; subscribers that fall outside the window resync with a snapshot.
          const position = await this.#log.position();
          if (position.epoch !== this.#epoch || position.sequence < this.#latest) {
            this.#logger.warn(
              { epoch: position.epoch, sequence: position.sequence, had: this.#latest },
              'the revocation log lost data; subscribers resync',
            );
          }
          const moved = position.epoch !== this.#epoch || position.sequence !== this.#latest;
          this.#latest = position.sequence;
          this.#epoch = position.epoch;
          this.#recent = [];
          if (moved) this.#wakeAll();
        } else if (entries.length > 0) {
          this.#recent.push(...entries);
          if (this.#recent.length > this.#window) this.#recent = this.#recent.slice(-this.#window);
          this.#latest = entries[entries.length - 1]?.sequence ?? this.#latest;
          this.#wakeAll();
        }
        // A read that ended with nothing new wakes nobody: a wake restarts a subscriber's idle
        // timer, and the blocking read ends as often as a heartbeat is due, so a subscriber
        // woken a little before each one would never get a heartbeat and its validator would
        // judge its revocations stale.
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

  /**
   * Entries of `epoch` after `sequence` from the window, or from the log, or undefined
   * (resync needed). The window serves only a cursor of the feed's epoch within its range;
   * anything else is judged by the log itself, which knows when it lost data.
   */
  async #entriesAfter(sequence: bigint, epoch: string): Promise<SequencedRevocation[] | undefined> {
    const first = this.#recent[0];
    if (
      epoch === this.#epoch &&
      sequence <= this.#latest &&
      first !== undefined &&
      first.sequence <= sequence + 1n
    ) {
      return this.#recent.filter((entry) => entry.sequence > sequence);
    }
    return this.#log.readAfter(sequence, this.#window, epoch);
  }

  /**
   * One subscriber's stream, until `signal` aborts. `epoch` is the epoch `afterSequence`
   * belongs to ('' when the subscriber does not know it: then only a cursor ahead of the log
   * is caught, not one of a lost epoch that the log has since passed).
   */
  async *subscribe(
    afterSequence: bigint,
    epoch: string,
    heartbeatMs: number,
    signal: AbortSignal,
  ): AsyncGenerator<FeedMessage> {
    let cursor = afterSequence;
    let cursorEpoch = epoch === '' ? undefined : epoch;
    let pending =
      cursor === 0n ? undefined : await this.#log.readAfter(cursor, this.#window, cursorEpoch);
    while (!signal.aborted && !this.#stop.signal.aborted) {
      if (pending === undefined) {
        const snapshot = await this.#log.snapshot();
        cursor = snapshot.sequence;
        cursorEpoch = snapshot.epoch;
        pending = [];
        yield { kind: 'snapshot', snapshot };
      }
      for (const entry of pending) {
        yield { kind: 'event', entry };
        cursor = entry.sequence;
      }
      cursorEpoch ??= this.#epoch;
      if (cursor >= this.#latest) {
        const before = Date.now();
        await this.#waitForChange(heartbeatMs, signal);
        if (signal.aborted || this.#stop.signal.aborted) return;
        if (Date.now() - before >= heartbeatMs) {
          // Idle for a heartbeat: ask the log itself where it stands rather than trust the
          // tail, which notices a log that lost data only when its own wait ends.
          const position = await this.#log.position();
          if (position.epoch !== cursorEpoch || position.sequence < cursor) {
            pending = undefined;
            continue;
          }
          // A log ahead of the cursor has entries on their way; a heartbeat saying so would
          // only make the subscriber resync.
          if (position.sequence === cursor) yield { kind: 'heartbeat', position };
        }
      }
      // Appends of this process land in the log before notifyAppended; read them from there.
      pending = await this.#entriesAfter(cursor, cursorEpoch);
    }
  }
}
