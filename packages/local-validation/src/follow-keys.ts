import { type Metadata, status } from '@grpc/grpc-js';
import { ReconnectTimer } from '@tessera/backoff';
import type { issuerV1 } from '@tessera/contracts';
import {
  importPublicKeys,
  type VerificationKeySet,
  type VerificationProfile,
} from '@tessera/jwt-core';
import type { Logger } from 'pino';

/** The keys and profiles of one WatchKeys message, ready to verify with. */
export interface KeySnapshot {
  readonly revision: bigint;
  readonly keys: VerificationKeySet;
  readonly profiles: readonly VerificationProfile[];
}

/** A running key follower; `ready` resolves after the first key set. */
export interface KeyFollower {
  readonly ready: Promise<void>;
  current(): KeySnapshot | undefined;
  stop(): void;
}

/**
 * Keeps the issuer's published keys and verification profiles current from its WatchKeys
 * stream, reconnecting with the shared capped, jittered backoff
 * (`@tessera/backoff`). A key set that fails to import is logged and
 * skipped; the previous one stays in force.
 */
export function followKeys(options: {
  readonly client: issuerV1.IssuerServiceClient;
  readonly metadata: () => Metadata;
  readonly logger: Logger;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly onApplied?: (revision: bigint) => void;
}): KeyFollower {
  const { client, logger } = options;
  let snapshot: KeySnapshot | undefined;
  let stopped = false;
  const reconnect = new ReconnectTimer({
    ...(options.minBackoffMs === undefined ? {} : { initialMs: options.minBackoffMs }),
    ...(options.maxBackoffMs === undefined ? {} : { maxMs: options.maxBackoffMs }),
  });
  let call: ReturnType<issuerV1.IssuerServiceClient['watchKeys']> | undefined;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  // Messages are applied in order even though importing keys is asynchronous.
  let applying: Promise<void> = Promise.resolve();

  const apply = async (message: issuerV1.WatchKeysResponse) => {
    try {
      const keys = await importPublicKeys(
        message.keys.map((key) => JSON.parse(key.jwkJson) as Record<string, unknown>),
      );
      snapshot = {
        revision: message.revision,
        keys,
        profiles: message.profiles.map((profile) => ({
          tenantId: profile.tenantId,
          issuer: profile.issuer,
          keyIds: [...profile.keyIds],
          clockToleranceSeconds: profile.clockToleranceSeconds,
          audiences: [...profile.audiences],
        })),
      };
      reconnect.succeeded();
      markReady();
      options.onApplied?.(message.revision);
    } catch (error) {
      logger.error(
        { err: error, revision: String(message.revision) },
        'key set refused; keeping the previous one',
      );
    }
  };

  const schedule = () => {
    if (!stopped) reconnect.schedule(connect);
  };

  const connect = () => {
    if (stopped) return;
    call = client.watchKeys({}, options.metadata());
    call.on('data', (message: issuerV1.WatchKeysResponse) => {
      applying = applying.then(() => apply(message));
    });
    call.on('error', (error: Error & { code?: number }) => {
      if (stopped) return;
      if (error.code !== status.CANCELLED)
        logger.warn({ code: error.code }, 'key stream broken; reconnecting');
      schedule();
    });
    call.on('end', () => {
      if (!stopped) schedule();
    });
  };

  connect();
  return {
    ready,
    current: () => snapshot,
    stop() {
      stopped = true;
      reconnect.stop();
      call?.cancel();
    },
  };
}
