import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Clock } from '@tessera/clock';
import { transportV1 } from '@tessera/contracts';
import type { Tracing } from '@tessera/tracing';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { addHealth } from './health.js';
import type { Interceptor } from './interceptor.js';
import { type MultiplexServerOptions, multiplexHandler } from './multiplex/multiplex-server.js';
import { createCallPipeline } from './pipeline.js';
import { addReflection, type ReflectionOptions } from './reflection.js';
import {
  type ServiceRegistration,
  serviceNameOf,
  type UnaryMethodEntry,
} from './service-registration.js';

/** gRPC's own default, stated so that raising it is a visible decision. */
const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Pings idle clients so that a dead peer's streams (sidecar watches) are released. */
const DEFAULT_KEEPALIVE_TIME_MS = 60_000;
const KEEPALIVE_TIMEOUT_MS = 20_000;
const DEFAULT_GRACE_MS = 10_000;

/** Options of {@link createGrpcServer}. */
export interface GrpcServerOptions {
  readonly logger: Logger;
  /** Registry for the RPC metrics; prom-client's default registry when omitted. */
  readonly registry?: Registry;
  /** Judges deadlines; the system clock when omitted. */
  readonly clock?: Clock;
  readonly services: readonly ServiceRegistration[];
  /** Added inside the built-in interceptors, right before the handler (e.g. authentication). */
  readonly interceptors?: readonly Interceptor[];
  /** Serve reflection for these proto files; no reflection when omitted. */
  readonly reflection?: ReflectionOptions;
  /** Largest request accepted, in bytes; 4 MiB when omitted. */
  readonly maxReceiveMessageBytes?: number;
  /** Interval of server keepalive pings; 60 s when omitted. */
  readonly keepaliveTimeMs?: number;
  /**
   * Health stays NOT_SERVING until this resolves as well as the port is bound (a validator
   * that has not loaded its first revocation snapshot must not be sent traffic).
   */
  readonly ready?: Promise<unknown>;
  /**
   * Also serve `tessera.transport.v1.MultiplexService`: long-lived streams that carry the
   * unary calls of every registered service through the same chain (README of this package).
   */
  readonly multiplex?: MultiplexServerOptions;
  /** A server span around every call, continuing the caller's trace; off when omitted. */
  readonly tracing?: Tracing;
}

/** Options of {@link GrpcServerRuntime.shutdown}. */
export interface ShutdownOptions {
  /** How long in-flight calls may take to finish before they are cancelled; 10 s default. */
  readonly graceMs?: number;
}

/** A running (or runnable) tessera gRPC server. */
export interface GrpcServerRuntime {
  /** The underlying grpc-js server, for anything this runtime does not cover. */
  readonly server: Server;
  /**
   * Binds `address` (`127.0.0.1:0`, `0.0.0.0:50051`) and reports SERVING (once `ready`
   * resolved, when given); resolves with the bound port. Insecure credentials when omitted.
   */
  listen(address: string, credentials?: ServerCredentials): Promise<number>;
  /**
   * Reports NOT_SERVING at once, refuses new calls with UNAVAILABLE (SHUTTING_DOWN), ends
   * server-streams the same way, lets in-flight unary calls finish for `graceMs`, then
   * cancels what is left. Idempotent: every call returns the same promise.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
  readonly shuttingDown: boolean;
  /**
   * Reports NOT_SERVING while `ready` is false and SERVING again (once bound and not shutting
   * down) when it is true, for a process whose readiness comes and goes after start (a sidecar
   * whose revocations went stale).
   */
  setReady(ready: boolean): void;
}

/**
 * Builds a gRPC server with the tessera call pipeline around every registered service, plus
 * grpc.health.v1 (overall '' and one entry per service) and optional reflection.
 */
export function createGrpcServer(options: GrpcServerOptions): GrpcServerRuntime {
  const { logger } = options;
  const shutdownController = new AbortController();
  const server = new Server({
    'grpc.max_receive_message_length':
      options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
    'grpc.keepalive_time_ms': options.keepaliveTimeMs ?? DEFAULT_KEEPALIVE_TIME_MS,
    'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
    // channelz (grpc-js's per-call and per-socket tracking) stays on although no server here
    // serves it: with it off, grpc-js 1.14 no longer tracks sessions, so forceShutdown at the
    // end of the grace period would leave stuck calls' connections open.
  });
  const pipeline = createCallPipeline({
    logger,
    shutdownSignal: shutdownController.signal,
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.interceptors ? { interceptors: options.interceptors } : {}),
    ...(options.tracing ? { tracing: options.tracing } : {}),
  });

  const names = new Set<string>();
  for (const service of options.services) {
    if (names.has(service.name)) throw new Error(`service ${service.name} registered twice`);
    names.add(service.name);
    server.addService(service.definition, service.bind(pipeline));
  }
  if (options.multiplex !== undefined) {
    const carried = new Map<string, UnaryMethodEntry>();
    for (const service of options.services) {
      for (const [path, entry] of service.unaryMethods) carried.set(path, entry);
    }
    server.addService(transportV1.MultiplexServiceService, {
      exchange: multiplexHandler(carried, pipeline, options.multiplex),
    });
    names.add(serviceNameOf(transportV1.MultiplexServiceService));
  }
  const health = addHealth(server, [...names]);
  if (options.reflection) addReflection(server, options.reflection);

  let stopped: Promise<void> | undefined;
  let bound = false;
  let ready = options.ready === undefined;
  const reportServing = () => {
    if (bound && ready && !shutdownController.signal.aborted) health.setAll('SERVING');
  };
  void options.ready?.then(() => {
    ready = true;
    reportServing();
  });

  const drain = async (graceMs: number): Promise<void> => {
    shutdownController.abort();
    health.setAll('NOT_SERVING');
    health.endWatches();
    logger.info({ graceMs }, 'grpc server shutting down');
    const graceful = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve(false);
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (graceful) logger.info('grpc server stopped');
    else logger.warn({ graceMs }, 'grpc server stopped after cancelling calls still running');
  };

  return {
    server,
    get shuttingDown() {
      return shutdownController.signal.aborted;
    },
    async listen(address, credentials = ServerCredentials.createInsecure()) {
      if (shutdownController.signal.aborted) throw new Error('the server is shutting down');
      const port = await new Promise<number>((resolve, reject) => {
        server.bindAsync(address, credentials, (error, bound) =>
          error ? reject(error) : resolve(bound),
        );
      });
      bound = true;
      reportServing();
      logger.info({ address, port, services: [...names], ready }, 'grpc server listening');
      return port;
    },
    setReady(value) {
      // Idempotent, so a caller may report on every poll without waking health watchers.
      if (value === ready) return;
      ready = value;
      if (value) reportServing();
      else if (bound && !shutdownController.signal.aborted) health.setAll('NOT_SERVING');
    },
    shutdown(shutdownOptions = {}) {
      stopped ??= drain(shutdownOptions.graceMs ?? DEFAULT_GRACE_MS);
      return stopped;
    },
  };
}
