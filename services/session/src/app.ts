import {
  accessInterceptor,
  accessRules,
  SESSION_REQUIREMENTS,
  streamAuthenticator,
} from '@tessera/access';
import type { Clock } from '@tessera/clock';
import { RealmSource } from '@tessera/config';
import { defaultProtoRoot, SERVICE_PROTO_FILES, sessionV1 } from '@tessera/contracts';
import { createGrpcServer, type GrpcServerRuntime, registerService } from '@tessera/grpc-runtime';
import type { Logger } from '@tessera/logger';
import type { Tracing } from '@tessera/tracing';
import { Registry } from 'prom-client';
import { RevocationFeed } from './domain/revocation-feed.js';
import { createSessionHandlers } from './handlers/session-handlers.js';
import { createSessionMetrics } from './session-metrics.js';
import type { Directory } from './store/directory.js';
import type { RevocationLog } from './store/revocation-log.js';
import type { RefreshTokenStore } from './store/session-store.js';

/** The stores the session service keeps its state in (Redis in production). */
export interface SessionStores {
  readonly tokens: RefreshTokenStore;
  readonly revocations: RevocationLog;
  readonly directory: Directory;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Everything the session service needs from outside. */
export interface SessionAppOptions {
  readonly realmFile: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly stores: SessionStores;
  readonly registry?: Registry;
  /** Idle interval after which WatchRevocations sends a heartbeat; 5 s by default. */
  readonly heartbeatMs?: number;
  /** Poll interval of the realm file; no watching when omitted. */
  readonly watchIntervalMs?: number;
  /** Server spans for every call (the stores trace their own commands); off when omitted. */
  readonly tracing?: Tracing;
}

/** A built session service. */
export interface SessionApp {
  readonly grpc: GrpcServerRuntime;
  readonly registry: Registry;
  readonly realm: RealmSource;
  /** Stops watching, shuts the server down gracefully, then closes the stores. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/** Composes the session service around its stores. */
export async function createSessionApp(options: SessionAppOptions): Promise<SessionApp> {
  const registry = options.registry ?? new Registry();
  const realm = new RealmSource(options.realmFile, options.logger);
  const feed = new RevocationFeed({ log: options.stores.revocations, logger: options.logger });
  await feed.start();
  const handlers = createSessionHandlers({
    realm: () => realm.current,
    tokens: options.stores.tokens,
    revocations: options.stores.revocations,
    feed,
    directory: options.stores.directory,
    clock: options.clock,
    metrics: createSessionMetrics(registry),
    heartbeatMs: options.heartbeatMs ?? 5000,
  });
  const grpc = createGrpcServer({
    logger: options.logger,
    registry,
    services: [registerService(sessionV1.SessionServiceService, handlers)],
    interceptors: [
      accessInterceptor({
        realm: () => realm.current,
        services: [accessRules(sessionV1.SessionServiceService, SESSION_REQUIREMENTS)],
      }),
    ],
    // The issuer's and the gateway's hot calls arrive over long-lived streams.
    multiplex: { authenticate: streamAuthenticator(() => realm.current) },
    reflection: { protoRoot: defaultProtoRoot(), files: SERVICE_PROTO_FILES },
    ...(options.tracing ? { tracing: options.tracing } : {}),
  });
  const stopWatching =
    options.watchIntervalMs === undefined
      ? () => {}
      : realm.watch({ intervalMs: options.watchIntervalMs });
  return {
    grpc,
    registry,
    realm,
    async stop(stopOptions = {}) {
      stopWatching();
      await grpc.shutdown(stopOptions);
      await feed.stop();
      await options.stores.close();
    },
  };
}
