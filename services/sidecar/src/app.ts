import {
  accessInterceptor,
  accessRules,
  SIDECAR_AUTHORIZATION_REQUIREMENTS,
  SIDECAR_REQUIREMENTS,
  type SidecarIssuerDefinition,
} from '@tessera/access';
import type { Clock } from '@tessera/clock';
import type { Realm } from '@tessera/config';
import { envoyAuthV3, issuerV1, type sessionV1 } from '@tessera/contracts';
import {
  createGrpcServer,
  credentialsMetadata,
  type GrpcServerRuntime,
  registerService,
} from '@tessera/grpc-runtime';
import {
  createLocalValidator,
  type LocalValidator,
  registerLocalValidationMetrics,
} from '@tessera/local-validation';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { createDecider, type Decider } from './decision/decide.js';
import type { StaleMode } from './decision/freshness.js';
import type { ClaimHeader } from './decision/identity-headers.js';
import type { Policy } from './decision/policy.js';
import { AuthorizationService, createCheckHandler } from './grpc/check-handler.js';
import { createValidateHandlers } from './grpc/validate-handler.js';
import { buildSidecarHttp, type SidecarHttp } from './http/http-server.js';
import { createSidecarMetrics } from './sidecar-metrics.js';

/** Everything the sidecar needs from outside; main.ts passes the real ones, tests their own. */
export interface SidecarAppOptions {
  readonly issuer: issuerV1.IssuerServiceClient;
  readonly session: sessionV1.SessionServiceClient;
  /** The sidecar's API key for WatchRevocations. */
  readonly apiKey: string;
  readonly realm: () => Realm;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly registry?: Registry;
  readonly policy: () => Policy;
  readonly claimHeaders: readonly ClaimHeader[];
  readonly stripAuthorization: boolean;
  readonly maxStalenessSeconds: number;
  readonly staleMode: StaleMode;
  readonly cacheMaxEntries: number;
  /** How often gRPC health is brought in line with readiness; 1 s when omitted. */
  readonly readinessPollMs?: number;
}

/** A built sidecar: its two listeners (not yet bound), its validator, and how to stop. */
export interface SidecarApp {
  readonly grpc: GrpcServerRuntime;
  readonly http: SidecarHttp;
  readonly validator: LocalValidator;
  readonly decider: Decider;
  readonly registry: Registry;
  stop(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Composes the sidecar: the local validator (keys from the issuer's WatchKeys, revocations
 * from the session service's WatchRevocations), the one decision over it, the gRPC server
 * (Envoy's Check, the issuer's Validate, health, reflection) and the HTTP listener. gRPC
 * health follows readiness both ways: SERVING once keys and the first revocation snapshot
 * are in, NOT_SERVING again while revocations are stale in fail-closed mode.
 */
export async function createSidecarApp(options: SidecarAppOptions): Promise<SidecarApp> {
  const { clock, logger } = options;
  const registry = options.registry ?? new Registry();
  const validator = createLocalValidator({
    issuer: options.issuer,
    session: options.session,
    metadata: () => credentialsMetadata(options.apiKey),
    clock,
    logger,
    maxTokenLength: options.realm().document.limits.maxTokenLength,
    cacheSize: options.cacheMaxEntries,
    // Under many first-seen tokens at once the event loop is the sidecar's bottleneck: with
    // the signature checked on the thread pool the loop pays ~8 µs of an ES256 check instead
    // of ~47 µs, and answers other calls meanwhile (at most 16 wait there; see jwt-core).
    engine: 'node-crypto-pool',
  });
  const decider = createDecider({
    validator,
    clock,
    policy: options.policy,
    claimHeaders: options.claimHeaders,
    maxStalenessSeconds: options.maxStalenessSeconds,
    staleMode: options.staleMode,
  });
  const metrics = createSidecarMetrics(registry, { validator, freshness: decider.freshness });
  registerLocalValidationMetrics(registry, validator, clock);
  const validateDefinition: SidecarIssuerDefinition = {
    validate: issuerV1.IssuerServiceService.validate,
  };
  const grpc = createGrpcServer({
    logger,
    registry,
    services: [
      registerService(AuthorizationService, {
        check: createCheckHandler({
          decider,
          metrics,
          stripAuthorization: options.stripAuthorization,
        }),
      }),
      registerService(
        validateDefinition,
        createValidateHandlers({ realm: options.realm, validator, decider, metrics }),
      ),
    ],
    interceptors: [
      accessInterceptor({
        realm: options.realm,
        services: [
          accessRules(envoyAuthV3.AuthorizationService, SIDECAR_AUTHORIZATION_REQUIREMENTS),
          accessRules(validateDefinition, SIDECAR_REQUIREMENTS),
        ],
      }),
    ],
    ready: validator.ready,
    // No reflection: describing the Envoy and issuer protos costs the sidecar several MiB of
    // heap in every pod, for a tool (grpcurl) that can be given the protos from proto/.
  });
  // Health is a status that is set, not asked: bring it in line with readiness on a timer.
  // `setReady` is idempotent; the validator's own `ready` promise may have reported SERVING
  // already, so every poll reports rather than only changes seen here.
  let wasReady = false;
  const poll = setInterval(() => {
    const ready = decider.freshness().ready;
    grpc.setReady(ready);
    if (ready !== wasReady) {
      wasReady = ready;
      logger.info({ ready }, ready ? 'sidecar ready' : 'sidecar not ready');
    }
  }, options.readinessPollMs ?? 1000);
  poll.unref();
  const http = buildSidecarHttp({ logger, registry, validator, decider, metrics });
  return {
    grpc,
    http,
    validator,
    decider,
    registry,
    async stop(stopOptions = {}) {
      clearInterval(poll);
      validator.stop();
      await Promise.all([grpc.shutdown(stopOptions), http.close()]);
    },
  };
}
