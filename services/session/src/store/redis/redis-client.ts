import { backoffDelay } from '@tessera/backoff';
import { invalidArgument, TesseraError } from '@tessera/errors';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { Registry } from 'prom-client';
import type { ScriptDefinition } from './lua-scripts.js';
import { instrumentRedisCommands } from './redis-command-metrics.js';

/**
 * The one place Redis clients are made, tuned to fail fast and heal by themselves:
 * - no offline queue (`enableOfflineQueue: false`): while disconnected a command fails at
 *   once instead of waiting in an unbounded queue;
 * - `maxRetriesPerRequest: 0` and no automatic resend: a command in flight when the
 *   connection drops fails at once; the caller decides whether to retry (rotation is
 *   idempotent by request id, so a retry is always safe);
 * - `commandTimeout`: a command that gets no reply in time fails, whatever the socket does;
 * - a capped, jittered exponential `retryStrategy` (`@tessera/backoff`): the client keeps
 *   reconnecting on its own, so the store recovers without being recreated once Redis is
 *   back, and the replicas of the session service do not reconnect in lockstep;
 * - the ready check: no command is sent to a Redis still loading its dataset;
 * - RESP2: ioredis 5 speaks only RESP2 (it never sends HELLO), which every script reply
 *   here is written for;
 * - auto-pipelining (unless turned off): the commands issued while the event loop runs one
 *   batch of I/O go out in one socket write and come back in one read. Under concurrent
 *   refreshes this cuts the session service's CPU per rotation by about a third (a write
 *   syscall per command was its largest single cost); each command keeps its own reply,
 *   error and timeout.
 * Lua scripts are registered once through the `scripts` option; ioredis sends EVALSHA and
 * falls back to EVAL when the server answers NOSCRIPT (after a restart or SCRIPT FLUSH).
 */

/** A Redis client of either topology. */
export type RedisClient = Redis | Cluster;

/** A host and port. */
export interface RedisNodeAddress {
  readonly host: string;
  readonly port: number;
}

/** Credentials and transport shared by every topology. */
export interface RedisCredentials {
  readonly username?: string;
  readonly password?: string;
  /** TLS to the data nodes. */
  readonly tls?: boolean;
}

/**
 * Where Redis is. A string is a URL: `redis://[user:password@]host:port[/db]` (or
 * `rediss://` for TLS), `redis+sentinel://[user:password@]host:port,host:port/masterName[/db]`,
 * or `redis+cluster://[user:password@]host:port,host:port`.
 */
export type RedisConnectionOptions =
  | string
  | { readonly kind: 'standalone'; readonly url: string }
  | ({
      readonly kind: 'sentinel';
      readonly sentinels: readonly RedisNodeAddress[];
      readonly masterName: string;
      readonly db?: number;
      readonly sentinelUsername?: string;
      readonly sentinelPassword?: string;
    } & RedisCredentials)
  | ({ readonly kind: 'cluster'; readonly nodes: readonly RedisNodeAddress[] } & RedisCredentials);

/** How a client behaves; every field but `scripts` has a fail-fast default. */
export interface RedisClientOptions {
  /** The Lua scripts to register, by command name. */
  readonly scripts: Readonly<Record<string, ScriptDefinition>>;
  /** A command without a reply after this long fails. Default 1000 ms. */
  readonly commandTimeoutMs?: number;
  /** A TCP connection not established after this long is abandoned. Default 2000 ms. */
  readonly connectTimeoutMs?: number;
  /** The longest pause between reconnection attempts. Default 1000 ms. */
  readonly maxReconnectDelayMs?: number;
  /** Connection-level errors (the client reconnects by itself); default: ignored. */
  readonly onError?: (error: Error) => void;
  /** Where command latencies go (`tessera_redis_command_seconds`); not timed when omitted. */
  readonly registry?: Registry;
  /**
   * Batch the commands of one event-loop turn into one write (ioredis `enableAutoPipelining`).
   * Default true. Turn it off when each command must be sent in its caller's async context:
   * a batch is written from the context of the command that opened it, so per-command trace
   * spans would land in another request's trace.
   */
  readonly autoPipelining?: boolean;
}

/** Default command timeout: well inside a refresh call's deadline. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
/** Default TCP connect timeout. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
const DEFAULT_MAX_RECONNECT_DELAY_MS = 1000;

const SENTINEL_URL =
  /^rediss?\+sentinel:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/]+)\/([^/]+)(?:\/(\d+))?\/?$/;
const CLUSTER_URL = /^rediss?\+cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/]+)\/?$/;

function parseNodes(list: string): RedisNodeAddress[] {
  return list.split(',').map((entry) => {
    const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(entry.trim());
    const port = Number(match?.[2]);
    if (match?.[1] === undefined || !(port > 0 && port < 65536)) {
      throw invalidArgument('redis', 'every Redis node must be host:port');
    }
    return { host: match[1], port };
  });
}

function credentials(
  user: string | undefined,
  password: string | undefined,
  tls: boolean,
): RedisCredentials {
  return {
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(password ? { password: decodeURIComponent(password) } : {}),
    tls,
  };
}

/** Reads a Redis URL into connection options; anything else is INVALID_ARGUMENT. */
export function parseRedisUrl(url: string): Exclude<RedisConnectionOptions, string> {
  if (/^rediss?:\/\//.test(url)) return { kind: 'standalone', url };
  const sentinel = SENTINEL_URL.exec(url);
  if (sentinel) {
    const [, user, password, hosts = '', masterName = '', db] = sentinel;
    return {
      kind: 'sentinel',
      sentinels: parseNodes(hosts),
      masterName: decodeURIComponent(masterName),
      ...(db === undefined ? {} : { db: Number(db) }),
      ...credentials(user, password, url.startsWith('rediss')),
    };
  }
  const cluster = CLUSTER_URL.exec(url);
  if (cluster) {
    const [, user, password, hosts = ''] = cluster;
    return {
      kind: 'cluster',
      nodes: parseNodes(hosts),
      ...credentials(user, password, url.startsWith('rediss')),
    };
  }
  throw invalidArgument(
    'redis',
    'must be a redis://, rediss://, redis+sentinel:// or redis+cluster:// URL',
  );
}

/**
 * ioredis' retry strategy: 50 ms, 100 ms, 200 ms … up to `max`, jittered. ioredis counts the
 * attempts itself and starts again from one after a successful connection.
 */
function backoff(max: number): (attempt: number) => number {
  const options = { initialMs: Math.min(50, max), maxMs: max };
  return (attempt) => backoffDelay(attempt, options);
}

/**
 * Creates a client and starts connecting. Call `waitUntilReady` before relying on it:
 * without an offline queue, commands sent before the first connection fail.
 */
export function createRedisClient(
  connection: RedisConnectionOptions,
  options: RedisClientOptions,
): RedisClient {
  const target = typeof connection === 'string' ? parseRedisUrl(connection) : connection;
  const commandTimeout = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const connectTimeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const retry = backoff(options.maxReconnectDelayMs ?? DEFAULT_MAX_RECONNECT_DELAY_MS);
  const scripts = { ...options.scripts };
  const perConnection = {
    connectTimeout,
    commandTimeout,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableReadyCheck: true,
    enableAutoPipelining: options.autoPipelining ?? true,
  } satisfies RedisOptions;

  let client: RedisClient;
  if (target.kind === 'cluster') {
    const clusterOptions: ClusterOptions = {
      scripts,
      enableAutoPipelining: perConnection.enableAutoPipelining,
      enableOfflineQueue: false,
      enableReadyCheck: true,
      clusterRetryStrategy: retry,
      // Redirections and failover waits are bounded; the store's own deadline caps the rest.
      maxRedirections: 8,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnTryAgain: 100,
      slotsRefreshTimeout: connectTimeout,
      redisOptions: {
        ...perConnection,
        ...(target.username ? { username: target.username } : {}),
        ...(target.password ? { password: target.password } : {}),
        ...(target.tls ? { tls: {} } : {}),
      },
    };
    client = new Cluster(
      target.nodes.map((node) => ({ host: node.host, port: node.port })),
      clusterOptions,
    );
  } else {
    const common: RedisOptions = {
      ...perConnection,
      scripts,
      enableOfflineQueue: false,
      retryStrategy: retry,
    };
    client =
      target.kind === 'standalone'
        ? new Redis(target.url, common)
        : new Redis({
            ...common,
            sentinels: target.sentinels.map((node) => ({ host: node.host, port: node.port })),
            name: target.masterName,
            ...(target.db === undefined ? {} : { db: target.db }),
            ...(target.username ? { username: target.username } : {}),
            ...(target.password ? { password: target.password } : {}),
            ...(target.sentinelUsername ? { sentinelUsername: target.sentinelUsername } : {}),
            ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
            ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
            sentinelRetryStrategy: retry,
          });
  }
  if (options.registry) instrumentRedisCommands(client, options.registry, scripts);
  // Without a listener ioredis prints every connection error; the owner decides instead.
  const onError = options.onError ?? (() => {});
  client.on('error', (error: unknown) => {
    if (error instanceof Error) onError(error);
  });
  return client;
}

/** Resolves once the client is ready; UNAVAILABLE if it is not within `timeoutMs`. */
export function waitUntilReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const settle = (error?: TesseraError) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('end', onEnd);
      if (error) reject(error);
      else resolve();
    };
    const onReady = () => settle();
    const onEnd = () =>
      settle(new TesseraError('UNAVAILABLE', 'the connection to the session store was closed'));
    const timer = setTimeout(
      () =>
        settle(
          new TesseraError('UNAVAILABLE', 'the session store is unreachable', {
            metadata: { timeoutMs: String(timeoutMs) },
          }),
        ),
      timeoutMs,
    );
    client.on('ready', onReady);
    client.on('end', onEnd);
  });
}

/** Closes a client: politely (QUIT) when connected, at once otherwise. */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // Fall through: a failed QUIT still has to release the socket and timers.
    }
  }
  client.disconnect();
}

/** A registered script, callable with its keys then its arguments. */
export type ScriptCall = (...keysThenArgs: readonly (string | number)[]) => Promise<unknown>;

/**
 * The method ioredis defined for the script `name`. Looked up once, so a client created
 * without the script fails at construction rather than on the first call.
 */
export function bindScript(client: RedisClient, name: string): ScriptCall {
  const method: unknown = Reflect.get(client, name);
  if (typeof method !== 'function') {
    throw new TesseraError('INTERNAL', `the Redis client has no script named ${name}`);
  }
  return (...keysThenArgs) => Promise.resolve(Reflect.apply(method, client, keysThenArgs));
}

/** How a store's own factory connects (when it does not share a client). */
export interface StandaloneConnectionOptions {
  readonly redis: RedisConnectionOptions;
  readonly commandTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** How long to wait for the first connection. Default 5000 ms. */
  readonly readyTimeoutMs?: number;
  readonly onConnectionError?: (error: Error) => void;
}

/**
 * A client with `scripts` registered, connected (UNAVAILABLE if the first connection does
 * not come within `readyTimeoutMs`), for a store that owns its client. Stores that share one
 * client are built on `createRedisClient` with every store's scripts instead.
 */
export async function connectRedisClient(
  options: StandaloneConnectionOptions,
  scripts: Readonly<Record<string, ScriptDefinition>>,
): Promise<RedisClient> {
  const client = createRedisClient(options.redis, {
    scripts,
    commandTimeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    ...(options.onConnectionError ? { onError: options.onConnectionError } : {}),
  });
  try {
    await waitUntilReady(client, options.readyTimeoutMs ?? 5000);
    return client;
  } catch (error) {
    client.disconnect();
    throw error;
  }
}
