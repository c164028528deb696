import { systemClock } from '@tessera/clock';
import { splitListenAddress } from '@tessera/config';
import {
  collectProcessMetrics,
  installSignalHandlers,
  startMetricsServer,
} from '@tessera/grpc-runtime';
import { createLogger } from '@tessera/logger';
import { createTracing } from '@tessera/tracing';
import { createIssuerApp } from './app.js';
import { readIssuerEnv, readIssuerTracing } from './config.js';

// Composition root of the issuer process: environment → realm → server → signals.
const bootLogger = createLogger({ service: 'issuer' });
try {
  const env = readIssuerEnv(process.env);
  const tracing = await createTracing(readIssuerTracing(process.env), { log: bootLogger });
  const logger = createLogger({ service: 'issuer', level: env.LOG_LEVEL, mixin: tracing.logMixin });
  const app = await createIssuerApp({
    realmFile: env.TESSERA_CONFIG,
    logger,
    clock: systemClock,
    watchIntervalMs: env.CONFIG_POLL_MS,
    tracing,
    ...(env.SESSION_ADDRESS
      ? {
          session: {
            address: env.SESSION_ADDRESS,
            apiKey: env.SESSION_API_KEY,
            deadlineMs: env.SESSION_DEADLINE_MS,
            transport: env.SESSION_TRANSPORT,
          },
        }
      : {}),
  });
  collectProcessMetrics(app.registry);
  // Metrics listen first: once the service answers (and so reports ready), /metrics does too.
  const metrics = env.ISSUER_METRICS_ADDRESS
    ? await startMetricsServer({
        registry: app.registry,
        ...splitListenAddress(env.ISSUER_METRICS_ADDRESS),
      })
    : undefined;
  const port = await app.grpc.listen(env.ISSUER_ADDRESS).catch(async (error: unknown) => {
    await metrics?.close();
    throw error;
  });
  logger.info(
    {
      port,
      metricsPort: metrics?.port,
      realm: env.TESSERA_CONFIG,
      revision: app.state.current.revision,
    },
    'issuer listening',
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
  bootLogger.fatal({ err: error }, 'issuer failed to start');
  // Exit now: clients, streams and timers opened before the failure would keep a process that
  // cannot serve alive (the fatal line is written synchronously first).
  process.exit(1);
}
