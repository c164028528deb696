/**
 * The session store: the port every implementation honours, and its implementations
 * (Redis in production, memory for `npm start` without Redis). One section per part.
 */

// The ports.
export type * from './directory.js';
// Refresh tokens in memory (development only).
export {
  createMemoryRefreshTokenStore,
  MemoryRefreshTokenStore,
  type MemoryRefreshTokenStoreOptions,
} from './memory/memory-refresh-token-store.js';
// Redis: the revocation log and the directory (register their scripts on the shared client).
export { DIRECTORY_SCRIPTS, type DirectoryScriptName } from './redis/directory-scripts.js';
// Redis: client, start-up check and the refresh-token store.
export { REFRESH_TOKEN_SCRIPTS, type ScriptDefinition } from './redis/lua-scripts.js';
export {
  closeRedisClient,
  createRedisClient,
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  parseRedisUrl,
  type RedisClient,
  type RedisClientOptions,
  type RedisConnectionOptions,
  type RedisCredentials,
  type RedisNodeAddress,
  waitUntilReady,
} from './redis/redis-client.js';
export {
  createRedisDirectory,
  RedisDirectory,
  type RedisDirectoryOptions,
  type RedisDirectorySettings,
} from './redis/redis-directory.js';
export { toStoreError } from './redis/redis-errors.js';
export {
  checkRedisPolicy,
  type NodePolicy,
  type PolicyCheckLog,
  REQUIRED_MAXMEMORY_POLICY,
  type RedisPolicyCheckOptions,
  type RedisPolicyReport,
} from './redis/redis-policy-check.js';
export {
  ANCESTOR_LIMIT,
  createRedisRefreshTokenStore,
  DEFAULT_EXPIRED_RETENTION_MS,
  RedisRefreshTokenStore,
  type RedisRefreshTokenStoreOptions,
  type RedisRefreshTokenStoreSettings,
} from './redis/redis-refresh-token-store.js';
export {
  createRedisRevocationLog,
  DEFAULT_MAX_BLOCK_MS,
  DEFAULT_REVOCATION_LOG_CAPACITY,
  DEFAULT_REVOCATION_LOG_NAME,
  RedisRevocationLog,
  type RedisRevocationLogOptions,
  type RedisRevocationLogSettings,
} from './redis/redis-revocation-log.js';
export {
  REVOCATION_LOG_SCRIPTS,
  type RevocationLogScriptName,
} from './redis/revocation-scripts.js';
export type * from './revocation-log.js';
export type * from './session-store.js';
