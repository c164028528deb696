import type { Clock } from '@tessera/clock';
import type { Logger } from '@tessera/logger';
import type { Tracing } from '@tessera/tracing';
import type { Registry } from 'prom-client';
import type { SessionStores } from './app.js';
import type { SessionEnv } from './config.js';
import {
  checkRedisPolicy,
  closeRedisClient,
  createMemoryRefreshTokenStore,
  createRedisClient,
  DEFAULT_COMMAND_TIMEOUT_MS,
  DIRECTORY_SCRIPTS,
  type PolicyCheckLog,
  REFRESH_TOKEN_SCRIPTS,
  REVOCATION_LOG_SCRIPTS,
  RedisDirectory,
  RedisRefreshTokenStore,
  RedisRevocationLog,
  waitUntilReady,
} from './store/index.js';
import { MemoryDirectory } from './store/memory/memory-directory.js';
import { MemoryRevocationLog } from './store/memory/memory-revocation-log.js';
import { traceRedisCommands } from './store/redis/redis-tracing.js';

/** The three stores in process memory: development (and flow tests) only. */
export function memorySessionStores(options: {
  pepper: Uint8Array;
  clock: Clock;
  /** How long expired families are kept (see `endedSessionRetentionMs`). */
  expiredRetentionMs?: number;
}): SessionStores {
  return {
    tokens: createMemoryRefreshTokenStore(options),
    revocations: new MemoryRevocationLog({ clock: options.clock }),
    directory: new MemoryDirectory({ clock: options.clock }),
    close: async () => {},
  };
}

/** Options of {@link redisSessionStores}. */
export interface RedisSessionStoresOptions {
  readonly url: string;
  readonly pepper: Uint8Array;
  readonly clock: Clock;
  readonly commandTimeoutMs?: number;
  readonly readyTimeoutMs?: number;
  /** The revocation log's name (its hash tag); the default suits one deployment per Redis. */
  readonly revocationLogName?: string;
  /** Refuse or warn when Redis may evict keys; no check when omitted. */
  readonly evictionCheck?: { readonly mode: 'refuse' | 'warn'; readonly log: PolicyCheckLog };
  readonly onConnectionError?: (error: Error) => void;
  /** How long expired families are kept (see `endedSessionRetentionMs`). */
  readonly expiredRetentionMs?: number;
  /** Where Redis command latencies go; not timed when omitted. */
  readonly registry?: Registry;
  /** A span per Redis command sent inside a traced call; none when omitted or off. */
  readonly tracing?: Tracing;
}

/**
 * The three stores on one Redis command client with every script registered once
 * (refresh tokens, revocation log, directory); the revocation log adds its own blocking
 * connection. Fails with UNAVAILABLE when Redis does not answer in time.
 */
export async function redisSessionStores(
  options: RedisSessionStoresOptions,
): Promise<SessionStores> {
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const scripts = { ...REFRESH_TOKEN_SCRIPTS, ...REVOCATION_LOG_SCRIPTS, ...DIRECTORY_SCRIPTS };
  const client = createRedisClient(options.url, {
    scripts,
    commandTimeoutMs,
    // Each traced command's span belongs to its caller's trace only when sent from its context.
    autoPipelining: options.tracing?.enabled !== true,
    ...(options.onConnectionError ? { onError: options.onConnectionError } : {}),
    ...(options.registry ? { registry: options.registry } : {}),
  });
  try {
    await waitUntilReady(client, options.readyTimeoutMs ?? 10_000);
    if (options.evictionCheck) await checkRedisPolicy(client, options.evictionCheck);
  } catch (error) {
    client.disconnect();
    throw error;
  }
  const { clock } = options;
  const stopTracing = options.tracing ? traceRedisCommands(options.tracing, scripts) : () => {};
  const revocations = new RedisRevocationLog(client, {
    clock,
    commandTimeoutMs,
    ...(options.revocationLogName ? { name: options.revocationLogName } : {}),
  });
  return {
    tokens: new RedisRefreshTokenStore(client, {
      pepper: options.pepper,
      clock,
      commandTimeoutMs,
      ...(options.expiredRetentionMs === undefined
        ? {}
        : { expiredRetentionMs: options.expiredRetentionMs }),
    }),
    revocations,
    directory: new RedisDirectory(client, { clock, commandTimeoutMs }),
    async close() {
      stopTracing();
      await revocations.close();
      await closeRedisClient(client);
    },
  };
}

/**
 * The stores the environment asks for: Redis, checked for an eviction policy that could
 * silently drop sessions; or memory, development only, said loudly.
 */
export async function createStores(
  env: SessionEnv,
  clock: Clock,
  logger: Logger,
  expiredRetentionMs?: number,
  registry?: Registry,
  tracing?: Tracing,
): Promise<SessionStores> {
  if (env.SESSION_STORE === 'memory') {
    logger.warn(
      'SESSION_STORE=memory: refresh tokens, revocations and users live in this process only and are lost when it stops',
    );
    return memorySessionStores({
      pepper: env.TESSERA_TOKEN_PEPPER,
      clock,
      ...(expiredRetentionMs === undefined ? {} : { expiredRetentionMs }),
    });
  }
  return redisSessionStores({
    url: env.REDIS_URL,
    pepper: env.TESSERA_TOKEN_PEPPER,
    clock,
    commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
    ...(expiredRetentionMs === undefined ? {} : { expiredRetentionMs }),
    evictionCheck: { mode: env.REDIS_EVICTION_CHECK, log: logger },
    ...(registry ? { registry } : {}),
    ...(tracing ? { tracing } : {}),
    onConnectionError: (error) =>
      logger.warn({ err: error }, 'redis connection error; reconnecting'),
  });
}
