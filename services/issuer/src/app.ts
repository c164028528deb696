import { credentials } from '@grpc/grpc-js';
import {
  accessInterceptor,
  accessRules,
  ISSUER_REQUIREMENTS,
  streamAuthenticator,
} from '@tessera/access';
import type { Clock } from '@tessera/clock';
import { defaultProtoRoot, issuerV1, SERVICE_PROTO_FILES, sessionV1 } from '@tessera/contracts';
import {
  type CallTransport,
  clientCallMetrics,
  createCaller,
  createCallTransport,
  createChannelOptions,
  createGrpcServer,
  credentialsMetadata,
  type GrpcServerRuntime,
  registerService,
  type TransportKind,
  withClientTracing,
} from '@tessera/grpc-runtime';
import { TokenVerifier } from '@tessera/jwt-core';
import type { Logger } from '@tessera/logger';
import { followRevocations, type RevocationFollower, RevocationSet } from '@tessera/revocation-set';
import type { Tracing } from '@tessera/tracing';
import { Registry } from 'prom-client';
import { createIssuerHandlers } from './handlers/issuer-handlers.js';
import { revocationReadinessInterceptor } from './handlers/revocation-readiness.js';
import { createSessionFlows } from './handlers/session-flows/index.js';
import { createIssuerMetrics } from './issuer-metrics.js';
import { type IssuerSnapshot, IssuerState } from './issuer-state.js';
import { SessionGateway } from './session-client/session-gateway.js';

/** How the issuer reaches the session service. */
export interface SessionConnection {
  /** `host:port` of the session service. */
  readonly address: string;
  /** The issuer's own API key for the session service. */
  readonly apiKey: string;
  /** Budget of each session call (bounded by the served call's deadline). */
  readonly deadlineMs: number;
  /** How the unary calls travel: multiplexed streams (default) or unary RPCs. */
  readonly transport?: TransportKind;
}

/** Everything the issuer needs from outside; main.ts passes the real ones, tests their own. */
export interface IssuerAppOptions {
  readonly realmFile: string;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly registry?: Registry;
  /** Poll interval of the realm and key files; no watching when omitted. */
  readonly watchIntervalMs?: number;
  /** Without it the session-backed RPCs answer UNIMPLEMENTED and nothing is revoked. */
  readonly session?: SessionConnection;
  /** Server spans for every call, client spans for the session calls; off when omitted. */
  readonly tracing?: Tracing;
}

/** A built issuer: its gRPC server, its state, and how to stop both. */
export interface IssuerApp {
  readonly grpc: GrpcServerRuntime;
  readonly state: IssuerState;
  readonly registry: Registry;
  readonly revocations: RevocationSet;
  /**
   * Resolves once the first revocation snapshot is applied (at once without a session
   * service). Until then health is NOT_SERVING and every call but key publication is refused
   * with UNAVAILABLE.
   */
  readonly revocationsReady: Promise<void>;
  /** Stops watching files and streams and shuts the server down gracefully. */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Composes the issuer: loads the realm and keys (failing fast on any problem), connects to
 * the session service when configured (its flows and its revocation stream), and registers
 * the handlers with health and reflection.
 */
export async function createIssuerApp(options: IssuerAppOptions): Promise<IssuerApp> {
  const { logger, clock } = options;
  const registry = options.registry ?? new Registry();
  const metrics = createIssuerMetrics(registry);
  const state = await IssuerState.load(options.realmFile, logger);
  const revocations = new RevocationSet();

  const verifiers = new WeakMap<IssuerSnapshot, TokenVerifier>();
  const verifierFor = (snapshot: IssuerSnapshot): TokenVerifier => {
    let verifier = verifiers.get(snapshot);
    if (verifier === undefined) {
      verifier = new TokenVerifier({
        keys: () => snapshot.keyring.verificationKeys(),
        clock,
        maxTokenLength: snapshot.realm.document.limits.maxTokenLength,
        isRevoked: (claims, profile) =>
          revocations.isRevoked(claims, profile.tenantId, clock.now()),
      });
      verifiers.set(snapshot, verifier);
    }
    return verifier;
  };

  let sessionGateway: SessionGateway | undefined;
  let sessionTransport: CallTransport | undefined;
  let sessionClient: sessionV1.SessionServiceClient | undefined;
  let follower: RevocationFollower | undefined;
  if (options.session !== undefined) {
    const { address, apiKey, deadlineMs } = options.session;
    const channel = { ...createChannelOptions(), interceptors: [clientCallMetrics(registry)] };
    const client = new sessionV1.SessionServiceClient(
      address,
      credentials.createInsecure(),
      options.tracing ? withClientTracing(channel, options.tracing) : channel,
    );
    sessionTransport = createCallTransport({
      kind: options.session.transport ?? 'stream',
      target: address,
      metadata: { authorization: apiKey },
      logger,
      metrics: registry,
      ...(options.tracing ? { tracing: options.tracing } : {}),
    });
    sessionClient = client;
    sessionGateway = new SessionGateway(
      createCaller(sessionV1.SessionServiceService, sessionTransport, { deadlineMs }),
    );
    follower = followRevocations({
      client,
      set: revocations,
      metadata: () => credentialsMetadata(apiKey),
      logger,
      clock,
    });
  }

  // Without a session service nothing is revoked, so there is nothing to wait for.
  const revocationsReady = follower?.ready ?? Promise.resolve();
  let revocationsLoaded = follower === undefined;
  void revocationsReady.then(() => {
    revocationsLoaded = true;
  });

  const handlers = createIssuerHandlers({
    state,
    clock,
    verifierFor,
    metrics,
    ...(sessionGateway
      ? {
          sessionFlows: createSessionFlows({
            state,
            clock,
            session: sessionGateway,
            verifierFor,
            metrics,
          }),
        }
      : {}),
  });
  const grpc = createGrpcServer({
    logger,
    registry,
    // Deadlines are wall-clock transport time, never the (possibly frozen) domain clock.
    services: [registerService(issuerV1.IssuerServiceService, handlers)],
    interceptors: [
      revocationReadinessInterceptor(() => revocationsLoaded),
      accessInterceptor({
        realm: () => state.current.realm,
        services: [accessRules(issuerV1.IssuerServiceService, ISSUER_REQUIREMENTS)],
      }),
    ],
    // The gateway's hot calls arrive over long-lived streams.
    multiplex: { authenticate: streamAuthenticator(() => state.current.realm) },
    ready: revocationsReady,
    reflection: { protoRoot: defaultProtoRoot(), files: SERVICE_PROTO_FILES },
    ...(options.tracing ? { tracing: options.tracing } : {}),
  });
  const stopWatching =
    options.watchIntervalMs === undefined
      ? () => {}
      : state.watch({ intervalMs: options.watchIntervalMs });
  return {
    grpc,
    state,
    registry,
    revocations,
    revocationsReady,
    async stop(stopOptions = {}) {
      stopWatching();
      follower?.stop();
      await grpc.shutdown(stopOptions);
      sessionTransport?.close();
      sessionClient?.close();
    },
  };
}
