/** Real Redis servers and clusters for tests, started on free ports and removed afterwards. */
export { findFreePort } from './free-port.js';
export { type RedisCluster, type RedisClusterOptions, startRedisCluster } from './redis-cluster.js';
export { type RedisSentinel, startRedisSentinel } from './redis-sentinel.js';
export { type RedisServer, type RedisServerOptions, startRedisServer } from './redis-server.js';
export { type RespReply, redisCommand } from './resp-command.js';
