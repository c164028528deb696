import type { Clock } from '@tessera/clock';
import { defaultProtoRoot, issuerV1, SERVICE_PROTO_FILES } from '@tessera/contracts';
import { createGrpcServer, type GrpcServerRuntime, registerService } from '@tessera/grpc-runtime';
import { TokenVerifier } from '@tessera/jwt-core';
import type { Logger } from '@tessera/logger';
import { Registry } from 'prom-client';
import { authenticationInterceptor } from './handlers/authentication.js';
import { createIssuerHandlers } from './handlers/issuer-handlers.js';
import { createIssuerMetrics } from './issuer-metrics.js';
import { type IssuerSnapshot, IssuerState } from './issuer-state.js';

/** Everything the issuer needs from outside; main.ts passes the real ones, tests their own. */
export interface IssuerAppOptions {
  readonly realmFile: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly registry?: Registry;
  /** Poll interval of the realm and key files; no watching when omitted. */
  readonly watchIntervalMs?: number;
}

/** A built issuer: its gRPC server, its state, and how to stop both. */
export interface IssuerApp {
  readonly grpc: GrpcServerRuntime;
  readonly state: IssuerState;
  readonly registry: Registry;
  /** Stops watching files and shuts the server down gracefully. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Composes the issuer: loads the realm and keys (failing fast on any problem), builds the
 * handlers around one state holder, and registers them with health and reflection.
 */
export async function createIssuerApp(options: IssuerAppOptions): Promise<IssuerApp> {
  const registry = options.registry ?? new Registry();
  const state = await IssuerState.load(options.realmFile, options.logger);
  const verifiers = new WeakMap<IssuerSnapshot, TokenVerifier>();
  const verifierFor = (snapshot: IssuerSnapshot): TokenVerifier => {
    let verifier = verifiers.get(snapshot);
    if (verifier === undefined) {
      verifier = new TokenVerifier({
        keys: () => snapshot.keyring.verificationKeys(),
        clock: options.clock,
        maxTokenLength: snapshot.realm.document.limits.maxTokenLength,
      });
      verifiers.set(snapshot, verifier);
    }
    return verifier;
  };
  const handlers = createIssuerHandlers({
    state,
    clock: options.clock,
    verifierFor,
    metrics: createIssuerMetrics(registry),
  });
  const grpc = createGrpcServer({
    logger: options.logger,
    registry,
    // Deadlines are wall-clock transport time, never the (possibly frozen) domain clock.
    services: [registerService(issuerV1.IssuerServiceService, handlers)],
    interceptors: [authenticationInterceptor(state)],
    reflection: { protoRoot: defaultProtoRoot(), files: SERVICE_PROTO_FILES },
  });
  const stopWatching =
    options.watchIntervalMs === undefined
      ? () => {}
      : state.watch({ intervalMs: options.watchIntervalMs });
  return {
    grpc,
    state,
    registry,
    async stop(stopOptions = {}) {
      stopWatching();
      await grpc.shutdown(stopOptions);
    },
  };
}
