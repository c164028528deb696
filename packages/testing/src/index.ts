/**
 * @tessera/testing: helpers for tests only; nothing in a service's production path imports it.
 */
export {
  type AttackCase,
  type AttackInput,
  buildAttackCases,
  buildValidToken,
} from './attack-tokens.js';
export {
  findFreePort,
  type RedisCluster,
  type RedisClusterOptions,
  type RedisSentinel,
  type RedisServer,
  type RedisServerOptions,
  type RespReply,
  redisCommand,
  startRedisCluster,
  startRedisSentinel,
  startRedisServer,
} from './redis/index.js';
export {
  generateKeys,
  randomApiKey,
  type StandardRealm,
  type TempRealm,
  writeStandardRealm,
  writeTempRealm,
} from './temp-realm.js';
