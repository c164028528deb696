import { systemClock } from '@tessera/clock';
import { loadRealmFile, splitListenAddress } from '@tessera/config';
import {
  collectProcessMetrics,
  installSignalHandlers,
  startMetricsServer,
} from '@tessera/grpc-runtime';
import { createLogger } from '@tessera/logger';
import { createTracing } from '@tessera/tracing';
import { Registry } from 'prom-client';
import { createSessionApp } from './app.js';
import { readSessionEnv, readSessionTracing } from './config.js';
import { endedSessionRetentionMs } from './domain/revocation-of.js';
import { createStores } from './stores.js';

// Composition root of the session process: environment → stores → realm → server → signals.
const bootLogger = createLogger({ service: 'session' });
try {
  const env = readSessionEnv(process.env);
  const tracing = await createTracing(readSessionTracing(process.env), { log: bootLogger });
  const logger = createLogger({
    service: 'session',
    level: env.LOG_LEVEL,
    mixin: tracing.logMixin,
  });
  // Expired families are kept as long as their last access tokens may live, so revoking one
  // still publishes; sized from the realm at start (a reload that lengthens lifetimes takes
  // effect for families created after the next restart).
  const retentionMs = endedSessionRetentionMs(loadRealmFile(env.TESSERA_CONFIG));
  const registry = new Registry();
  const stores = await createStores(env, systemClock, logger, retentionMs, registry, tracing);
  const app = await createSessionApp({
    registry,
    realmFile: env.TESSERA_CONFIG,
    logger,
    clock: systemClock,
    stores,
    heartbeatMs: env.REVOCATION_HEARTBEAT_MS,
    watchIntervalMs: env.CONFIG_POLL_MS,
    tracing,
  });
  collectProcessMetrics(app.registry);
  // Metrics listen first: once the service answers (and so reports ready), /metrics does too.
  const metricsAddress = env.SESSION_METRICS_ADDRESS;
  const metrics = metricsAddress
    ? await startMetricsServer({ registry: app.registry, ...splitListenAddress(metricsAddress) })
    : undefined;
  const port = await app.grpc.listen(env.SESSION_ADDRESS).catch(async (error: unknown) => {
    await metrics?.close();
    throw error;
  });
  logger.info(
    { port, metricsPort: metrics?.port, store: env.SESSION_STORE },
    'session service listening',
  );
  installSignalHandlers(app.grpc, {
    logger,
    graceMs: env.SHUTDOWN_GRACE_MS,
    cleanup: async () => {
      await app.stop({ graceMs: 0 });
      await metrics?.close();
      await tracing.shutdown();
    },
  });
} catch (error) {
  bootLogger.fatal({ err: error }, 'session service failed to start');
  // Exit now: clients, streams and timers opened before the failure would keep a process that
  // cannot serve alive (the fatal line is written synchronously first).
  process.exit(1);
}
