import type { Clock } from '@tessera/clock';
import type { Logger } from '@tessera/logger';
import type { SessionStores } from './app.js';
import type { SessionEnv } from './config.js';
import {
  checkRedisPolicy,
  closeRedisClient,
  createMemoryRefreshTokenStore,
  createRedisClient,
  DIRECTORY_SCRIPTS,
  REFRESH_TOKEN_SCRIPTS,
  REVOCATION_LOG_SCRIPTS,
  RedisDirectory,
  RedisRefreshTokenStore,
  RedisRevocationLog,
  waitUntilReady,
} from './store/index.js';
import { MemoryDirectory } from './store/memory/memory-directory.js';
import { MemoryRevocationLog } from './store/memory/memory-revocation-log.js';

/**
 * The stores the environment asks for. Redis: one command client with every script
 * registered once (refresh tokens, revocation log, directory), checked for an eviction
 * policy that could silently drop sessions. Memory: development only, said loudly.
 */
export async function createStores(
  env: SessionEnv,
  clock: Clock,
  logger: Logger,
): Promise<SessionStores> {
  if (env.SESSION_STORE === 'memory') {
    logger.warn(
      'SESSION_STORE=memory: refresh tokens, revocations and users live in this process only and are lost when it stops',
    );
    return {
      tokens: createMemoryRefreshTokenStore({ pepper: env.TESSERA_TOKEN_PEPPER, clock }),
      revocations: new MemoryRevocationLog({ clock }),
      directory: new MemoryDirectory({ clock }),
      close: async () => {},
    };
  }
  const client = createRedisClient(env.REDIS_URL, {
    scripts: { ...REFRESH_TOKEN_SCRIPTS, ...REVOCATION_LOG_SCRIPTS, ...DIRECTORY_SCRIPTS },
    commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
    onError: (error) => logger.warn({ err: error }, 'redis connection error; reconnecting'),
  });
  try {
    await waitUntilReady(client, 10_000);
    await checkRedisPolicy(client, {
      mode: env.REDIS_EVICTION_CHECK,
      log: logger,
    });
  } catch (error) {
    client.disconnect();
    throw error;
  }
  const revocations = new RedisRevocationLog(client, {
    clock,
    commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
  });
  return {
    tokens: new RedisRefreshTokenStore(client, {
      pepper: env.TESSERA_TOKEN_PEPPER,
      clock,
      commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
    }),
    revocations,
    directory: new RedisDirectory(client, {
      clock,
      commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
    }),
    async close() {
      await revocations.close();
      await closeRedisClient(client);
    },
  };
}
