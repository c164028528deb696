import { type Metadata, status } from '@grpc/grpc-js';
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
  /** Reconnect backoff bounds. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Called after every applied snapshot or event (tests wait on it). */
  readonly onApplied?: (sequence: bigint) => void;
}

/** A running follower; `ready` resolves after the first snapshot. */
export interface RevocationFollower {
  readonly ready: Promise<void>;
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
 * Keeps `set` current from the session service's WatchRevocations stream: a snapshot first,
 * then events; on a broken stream it reconnects with capped exponential backoff and resumes
 * after the last sequence it applied (the server sends a fresh snapshot when it cannot
 * resume). A gap in sequence numbers forces a resubscription from zero.
 */
export function followRevocations(options: FollowRevocationsOptions): RevocationFollower {
  const { client, set, logger } = options;
  let stopped = false;
  let backoff = options.minBackoffMs ?? 200;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  let call: ReturnType<sessionV1.SessionServiceClient['watchRevocations']> | undefined;
  // After a gap nothing but a snapshot may be applied: events that were already in flight
  // would move the sequence past what was missed.
  let resyncing = false;
  let timer: NodeJS.Timeout | undefined;

  const applied = (sequence: bigint) => {
    backoff = options.minBackoffMs ?? 200;
    options.onApplied?.(sequence);
  };

  const connect = (after: bigint) => {
    if (stopped) return;
    call = client.watchRevocations({ afterSequence: after }, options.metadata());
    call.on('data', (message: sessionV1.WatchRevocationsResponse) => {
      const kind = message.kind;
      if (kind === undefined) return;
      if (kind.$case === 'snapshot') {
        resyncing = false;
        set.replace(kind.value.revocations.map(toLive), kind.value.sequence);
        markReady();
        applied(set.sequence);
      } else if (kind.$case === 'event') {
        if (resyncing) return;
        if (kind.value.sequence !== set.sequence + 1n && set.sequence !== 0n) {
          logger.warn(
            { expected: set.sequence + 1n, got: kind.value.sequence },
            'revocation sequence gap; resyncing',
          );
          resyncing = true;
          call?.cancel();
          set.sequence = 0n;
          return;
        }
        if (kind.value.revocation) set.add(toLive(kind.value.revocation), kind.value.sequence);
        set.prune(options.clock.now());
        applied(set.sequence);
      } else if (!resyncing && kind.value.sequence > set.sequence) {
        logger.warn(
          { have: set.sequence, latest: kind.value.sequence },
          'missed revocations; resyncing',
        );
        call?.cancel();
        set.sequence = 0n;
      }
    });
    call.on('error', (error: Error & { code?: number }) => {
      if (stopped) return;
      if (error.code !== status.CANCELLED)
        logger.warn({ code: error.code }, 'revocation stream broken; reconnecting');
      schedule();
    });
    call.on('end', () => {
      if (!stopped) schedule();
    });
  };

  const schedule = () => {
    if (stopped || timer !== undefined) return;
    const delay = backoff;
    backoff = Math.min(backoff * 2, options.maxBackoffMs ?? 5000);
    timer = setTimeout(() => {
      timer = undefined;
      connect(set.sequence);
    }, delay);
  };

  connect(0n);
  return {
    ready,
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      call?.cancel();
    },
  };
}
