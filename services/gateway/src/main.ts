import { credentials } from '@grpc/grpc-js';
import { systemClock } from '@tessera/clock';
import { RealmSource, splitListenAddress } from '@tessera/config';
import { issuerV1, sessionV1 } from '@tessera/contracts';
import {
  clientCallMetrics,
  collectProcessMetrics,
  createCaller,
  createCallTransport,
  createChannelOptions,
  credentialsMetadata,
  onStopRequest,
  startMetricsServer,
  withClientTracing,
} from '@tessera/grpc-runtime';
import { createLocalValidator, registerLocalValidationMetrics } from '@tessera/local-validation';
import { createLogger } from '@tessera/logger';
import { createTracing } from '@tessera/tracing';
import { Registry } from 'prom-client';
import { buildGateway } from './app.js';
import { backendsServing } from './backend-health.js';
import { readGatewayEnv, readGatewayTracing } from './config.js';
import { createGatewayContext } from './gateway-context.js';

// Composition root of the gateway process: environment → backends → local validator → HTTP.
const bootLogger = createLogger({ service: 'gateway' });
try {
  const env = readGatewayEnv(process.env);
  const tracing = await createTracing(readGatewayTracing(process.env), { log: bootLogger });
  const logger = createLogger({
    service: 'gateway',
    level: env.LOG_LEVEL,
    mixin: tracing.logMixin,
  });
  const realm = new RealmSource(env.TESSERA_CONFIG, logger);
  const stopWatching = realm.watch({ intervalMs: env.CONFIG_POLL_MS });
  const registry = new Registry();
  collectProcessMetrics(registry);
  const channel = withClientTracing(
    { ...createChannelOptions(), interceptors: [clientCallMetrics(registry)] },
    tracing,
  );
  const issuer = new issuerV1.IssuerServiceClient(
    env.ISSUER_ADDRESS,
    credentials.createInsecure(),
    channel,
  );
  const session = new sessionV1.SessionServiceClient(
    env.SESSION_ADDRESS,
    credentials.createInsecure(),
    channel,
  );
  // Hot calls go over the configured transport; the generated clients above carry the key and
  // revocation streams and the health checks.
  const backend = (target: string) =>
    createCallTransport({
      kind: env.GRPC_TRANSPORT,
      target,
      metadata: { authorization: env.GATEWAY_API_KEY },
      logger,
      metrics: registry,
      tracing,
    });
  const issuerTransport = backend(env.ISSUER_ADDRESS);
  const sessionTransport = backend(env.SESSION_ADDRESS);
  const callDefaults = { deadlineMs: env.GRPC_DEADLINE_MS };
  const validator = createLocalValidator({
    issuer,
    session,
    metadata: () => credentialsMetadata(env.GATEWAY_API_KEY),
    clock: systemClock,
    logger,
    maxTokenLength: realm.current.document.limits.maxTokenLength,
  });
  registerLocalValidationMetrics(registry, validator, systemClock);
  let closing = false;
  const app = await buildGateway({
    context: createGatewayContext({
      issuer: createCaller(issuerV1.IssuerServiceService, issuerTransport, callDefaults),
      session: createCaller(sessionV1.SessionServiceService, sessionTransport, callDefaults),
      validator,
      realm: () => realm.current,
      clock: systemClock,
      deadlineMs: env.GRPC_DEADLINE_MS,
      serviceApiKey: env.GATEWAY_API_KEY,
      publicUrl: env.GATEWAY_PUBLIC_URL,
      secureCookies: env.GATEWAY_SECURE_COOKIES,
    }),
    logger,
    registry,
    bodyLimitBytes: env.GATEWAY_BODY_LIMIT_BYTES,
    trustedProxies: env.GATEWAY_TRUSTED_PROXIES,
    tracing,
    ready: async () =>
      !closing && validator.isReady() && (await backendsServing([issuer, session], 1000)),
  });
  // Metrics listen first: once the gateway answers (and so reports ready), /metrics does too.
  const metrics = env.GATEWAY_METRICS_ADDRESS
    ? await startMetricsServer({ registry, ...splitListenAddress(env.GATEWAY_METRICS_ADDRESS) })
    : undefined;
  const address = await app
    .listen(splitListenAddress(env.GATEWAY_ADDRESS))
    .catch(async (error: unknown) => {
      await metrics?.close();
      throw error;
    });
  logger.info({ address, metricsPort: metrics?.port }, 'gateway listening');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: closing connections now');
      app.server.closeAllConnections();
      return;
    }
    stopping = true;
    closing = true;
    logger.info({ signal }, 'signal received: shutting down');
    const force = setTimeout(() => app.server.closeAllConnections(), env.SHUTDOWN_GRACE_MS);
    try {
      await app.close();
    } finally {
      clearTimeout(force);
      await metrics?.close();
      stopWatching();
      validator.stop();
      issuerTransport.close();
      sessionTransport.close();
      issuer.close();
      session.close();
      await tracing.shutdown();
    }
    process.exit(0);
  };
  onStopRequest((reason) => void shutdown(reason));
} catch (error) {
  bootLogger.fatal({ err: error }, 'gateway failed to start');
  // Exit now: clients, streams and timers opened before the failure would keep a process that
  // cannot serve alive (the fatal line is written synchronously first).
  process.exit(1);
}
