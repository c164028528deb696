import { type Metadata, status } from '@grpc/grpc-js';
import { ReconnectTimer } from '@tessera/backoff';
import type { Clock } from '@tessera/clock';
import type { sessionV1 } from '@tessera/contracts';
import type { Logger } from 'pino';
import type { LiveRevocation, RevocationSet } from './revocation-set.js';

/** Options of {@link followRevocations}. */
export interface FollowRevocationsOptions {
  readonly client: sessionV1.SessionServiceClient;
  readonly set: RevocationSet;
  readonly metadata: () => Metadata;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Reconnect backoff bounds (`@tessera/backoff`; defaults 200 ms and 5000 ms). */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Called after every applied snapshot or event (tests wait on it). */
  readonly onApplied?: (sequence: bigint) => void;
}

/** A running follower; `ready` resolves after the first snapshot. */
export interface RevocationFollower {
  readonly ready: Promise<void>;
  /**
   * When (the clock's epoch milliseconds) the set was last known current: a snapshot or an
   * event applied, or a heartbeat naming the sequence the set holds. Undefined before the first
   * snapshot. A validator judges staleness by it (the stream may be silently gone).
   */
  currentAt(): number | undefined;
  stop(): void;
}

function toLive(revocation: sessionV1.Revocation): LiveRevocation {
  return {
    tenantId: revocation.tenantId,
    sessionId: revocation.sessionId,
    userId: revocation.userId,
    applicationId: revocation.applicationId,
    notBefore: Number(revocation.notBefore),
    expiresAt: Number(revocation.expiresAt),
  };
}

/**
 * Keeps `set` current from the session service's WatchRevocations stream: a snapshot first
 * (pages gathered aside and applied at once when its end arrives, so the set is never half a
 * snapshot), then events; on a broken stream it reconnects with capped exponential backoff and
 * resumes after the last sequence it applied, naming the log epoch (the server sends a fresh
 * snapshot when it cannot resume). A gap in sequence numbers, a heartbeat from another epoch,
 * or one behind the set (the log lost entries) forces a resubscription from zero.
 */
export function followRevocations(options: FollowRevocationsOptions): RevocationFollower {
  const { client, set, logger } = options;
  let stopped = false;
  // Jittered, so a fleet of followers that lost the same server does not return in lockstep.
  const reconnect = new ReconnectTimer({
    ...(options.minBackoffMs === undefined ? {} : { initialMs: options.minBackoffMs }),
    ...(options.maxBackoffMs === undefined ? {} : { maxMs: options.maxBackoffMs }),
  });
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  let call: ReturnType<sessionV1.SessionServiceClient['watchRevocations']> | undefined;
  // After a gap nothing but a snapshot may be applied: events that were already in flight
  // would move the sequence past what was missed.
  let resyncing = false;
  let currentAt: number | undefined;
  // The epoch of the applied state ('' before the first snapshot).
  let epoch = '';
  // The pages of a snapshot in progress.
  let pages:
    | { sequence: bigint; epoch: string; entries: LiveRevocation[]; next: number }
    | undefined;

  const applied = (sequence: bigint) => {
    reconnect.succeeded();
    currentAt = options.clock.now();
    options.onApplied?.(sequence);
  };

  const resync = (fields: Record<string, unknown>, message: string) => {
    logger.warn(fields, message);
    resyncing = true;
    pages = undefined;
    set.sequence = 0n;
    epoch = '';
    call?.cancel();
  };

  const connect = (after: bigint) => {
    if (stopped) return;
    pages = undefined;
    const current = client.watchRevocations(
      { afterSequence: after, epoch: after === 0n ? '' : epoch },
      options.metadata(),
    );
    call = current;
    current.on('data', (message: sessionV1.WatchRevocationsResponse) => {
      // A cancelled stream may still deliver what was already buffered.
      if (current !== call) return;
      const kind = message.kind;
      if (kind === undefined) return;
      switch (kind.$case) {
        case 'snapshot': {
          const page = kind.value;
          if (page.page === 0) {
            pages = { sequence: page.sequence, epoch: page.epoch, entries: [], next: 0 };
          }
          if (
            pages === undefined ||
            page.page !== pages.next ||
            page.sequence !== pages.sequence ||
            page.epoch !== pages.epoch
          ) {
            resync({ page: page.page }, 'revocation snapshot page out of order; resyncing');
            return;
          }
          for (const revocation of page.revocations) pages.entries.push(toLive(revocation));
          pages.next += 1;
          return;
        }
        case 'snapshotEnd': {
          const end = kind.value;
          if (
            pages === undefined ||
            pages.next !== end.pages ||
            pages.sequence !== end.sequence ||
            pages.epoch !== end.epoch
          ) {
            resync({ pages: end.pages }, 'revocation snapshot incomplete; resyncing');
            return;
          }
          resyncing = false;
          set.replace(pages.entries, end.sequence);
          set.prune(options.clock.now());
          epoch = end.epoch;
          pages = undefined;
          markReady();
          applied(set.sequence);
          return;
        }
        case 'event': {
          if (resyncing || pages !== undefined) return;
          if (kind.value.sequence !== set.sequence + 1n) {
            resync(
              { expected: set.sequence + 1n, got: kind.value.sequence },
              'revocation sequence gap; resyncing',
            );
            return;
          }
          if (kind.value.revocation) set.add(toLive(kind.value.revocation), kind.value.sequence);
          set.prune(options.clock.now());
          applied(set.sequence);
          return;
        }
        case 'heartbeat': {
          const beat = kind.value;
          if (resyncing || pages !== undefined || epoch === '') return;
          if (beat.epoch !== '' && beat.epoch !== epoch) {
            resync({ have: epoch, latest: beat.epoch }, 'revocation log epoch changed; resyncing');
          } else if (beat.sequence < set.sequence) {
            resync(
              { have: set.sequence, latest: beat.sequence },
              'revocation log went backwards; resyncing',
            );
          } else if (beat.sequence > set.sequence) {
            resync({ have: set.sequence, latest: beat.sequence }, 'missed revocations; resyncing');
          } else {
            currentAt = options.clock.now();
          }
          return;
        }
      }
    });
    current.on('error', (error: Error & { code?: number }) => {
      if (stopped || current !== call) return;
      if (error.code !== status.CANCELLED)
        logger.warn({ code: error.code }, 'revocation stream broken; reconnecting');
      schedule();
    });
    current.on('end', () => {
      if (!stopped && current === call) schedule();
    });
  };

  const schedule = () => {
    // A resync is no failure of the server: resubscribe at once (still counted, so a server
    // that keeps forcing resyncs is slowed down by the next real failure's backoff).
    if (!stopped) reconnect.schedule(() => connect(set.sequence), { immediate: resyncing });
  };

  connect(0n);
  return {
    ready,
    currentAt: () => currentAt,
    stop() {
      stopped = true;
      reconnect.stop();
      call?.cancel();
    },
  };
}
