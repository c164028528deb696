import { credentials } from '@grpc/grpc-js';
import { systemClock } from '@tessera/clock';
import { RealmSource, splitListenAddress } from '@tessera/config';
import { issuerV1, sessionV1 } from '@tessera/contracts';
import {
  clientCallMetrics,
  collectProcessMetrics,
  createChannelOptions,
  onStopRequest,
} from '@tessera/grpc-runtime';
import { createLogger } from '@tessera/logger';
import { Registry } from 'prom-client';
import { createSidecarApp } from './app.js';
import { readSidecarEnv } from './config.js';
import { loadPolicyFile } from './decision/policy.js';

// Composition root of the sidecar process: environment → backends → local validator → listeners.
const bootLogger = createLogger({ service: 'sidecar' });
try {
  const env = readSidecarEnv(process.env);
  const logger = createLogger({ service: 'sidecar', level: env.LOG_LEVEL });
  const realm = new RealmSource(env.TESSERA_CONFIG, logger);
  const stopWatching = realm.watch({ intervalMs: env.CONFIG_POLL_MS });
  const policy = loadPolicyFile(env.SIDECAR_POLICY_FILE);
  const registry = new Registry();
  // grpc-js waits 1 s, then up to 120 s, between connection attempts by default: a sidecar
  // started before its issuer would wait that long after the issuer came up.
  const channel = {
    ...createChannelOptions({
      'grpc.initial_reconnect_backoff_ms': Math.min(100, env.SIDECAR_RECONNECT_MAX_BACKOFF_MS),
      'grpc.max_reconnect_backoff_ms': env.SIDECAR_RECONNECT_MAX_BACKOFF_MS,
    }),
    interceptors: [clientCallMetrics(registry)],
  };
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
  const app = await createSidecarApp({
    registry,
    issuer,
    session,
    apiKey: env.SIDECAR_API_KEY,
    realm: () => realm.current,
    clock: systemClock,
    logger,
    policy: () => policy,
    claimHeaders: env.SIDECAR_CLAIM_HEADERS,
    stripAuthorization: env.SIDECAR_STRIP_AUTHORIZATION,
    maxStalenessSeconds: env.SIDECAR_MAX_REVOCATION_STALENESS_SECONDS,
    staleMode: env.SIDECAR_STALE_MODE,
    cacheMaxEntries: env.SIDECAR_CACHE_MAX_ENTRIES,
  });
  collectProcessMetrics(app.registry);
  const grpcPort = await app.grpc.listen(env.SIDECAR_GRPC_ADDRESS);
  const httpAddress = await app.http.listen(splitListenAddress(env.SIDECAR_HTTP_ADDRESS));
  logger.info(
    { grpcPort, httpAddress, staleMode: env.SIDECAR_STALE_MODE, policyRules: policy.rules.length },
    'sidecar listening',
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: closing connections now');
      app.http.server.closeAllConnections();
      app.grpc.server.forceShutdown();
      return;
    }
    stopping = true;
    logger.info({ signal }, 'signal received: shutting down');
    const force = setTimeout(() => app.http.server.closeAllConnections(), env.SHUTDOWN_GRACE_MS);
    try {
      await app.stop({ graceMs: env.SHUTDOWN_GRACE_MS });
    } finally {
      clearTimeout(force);
      stopWatching();
      issuer.close();
      session.close();
    }
    process.exit(0);
  };
  onStopRequest((reason) => void shutdown(reason));
} catch (error) {
  bootLogger.fatal({ err: error }, 'sidecar failed to start');
  // Exit now: clients, streams and timers opened before the failure would keep a process that
  // cannot serve alive (the fatal line is written synchronously first).
  process.exit(1);
}
