import { TesseraError } from '@tessera/errors';
import { Cluster, type Redis } from 'ioredis';
import { z } from 'zod';
import type { RedisClient } from './redis-client.js';
import { toStoreError } from './redis-errors.js';

/**
 * The start-up check of Redis' eviction policy. Under any policy but `noeviction`, Redis
 * may drop a session (or a revocation) silently when memory runs short: a revoked family
 * could come back as "unknown", a live user could be logged out. So the session service
 * refuses to start, or warns loudly, as configured.
 */

/** Where the warnings go (a pino logger fits). */
export interface PolicyCheckLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Options of `checkRedisPolicy`. */
export interface RedisPolicyCheckOptions {
  /** `refuse`: throw when a node evicts; `warn`: log and carry on. */
  readonly mode: 'refuse' | 'warn';
  readonly log: PolicyCheckLog;
  /** Per node. Default 2000 ms. */
  readonly timeoutMs?: number;
}

/** What was found on one node. */
export interface NodePolicy {
  /** `host:port`. */
  readonly node: string;
  /** The policy, or undefined when the node forbids CONFIG (managed services often do). */
  readonly policy: string | undefined;
}

/** The outcome: every node's policy, and whether all of them are known to be `noeviction`. */
export interface RedisPolicyReport {
  readonly nodes: readonly NodePolicy[];
  readonly safe: boolean;
}

/** The one policy under which Redis never drops a key on its own. */
export const REQUIRED_MAXMEMORY_POLICY = 'noeviction';

const configReply = z.array(z.string());

function address(node: Redis): string {
  return `${node.options.host ?? '?'}:${node.options.port ?? '?'}`;
}

async function readPolicy(node: Redis, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TesseraError('UNAVAILABLE', 'Redis did not answer CONFIG GET in time')),
      timeoutMs,
    );
  });
  try {
    const reply = configReply.parse(
      await Promise.race([node.config('GET', 'maxmemory-policy'), deadline]),
    );
    // An unknown or renamed parameter answers an empty list: as good as forbidden.
    return reply[1];
  } catch (error) {
    const normalised = toStoreError(error);
    // INTERNAL here means an error reply (unknown command, NOPERM): CONFIG is off limits.
    if (normalised.code === 'INTERNAL') return undefined;
    throw normalised;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads `maxmemory-policy` on the node (on every master of a Cluster). A policy other than
 * `noeviction` is refused (TesseraError UNAVAILABLE naming the node and policy) or logged,
 * by `mode`; a node that forbids CONFIG is logged as unchecked. An unreachable Redis is
 * UNAVAILABLE in both modes.
 */
export async function checkRedisPolicy(
  client: RedisClient,
  options: RedisPolicyCheckOptions,
): Promise<RedisPolicyReport> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const targets = client instanceof Cluster ? client.nodes('master') : [client];
  if (targets.length === 0) {
    throw new TesseraError('UNAVAILABLE', 'no Redis Cluster master is known yet');
  }
  const nodes = await Promise.all(
    targets.map(async (node) => ({
      node: address(node),
      policy: await readPolicy(node, timeoutMs),
    })),
  );
  for (const { node, policy } of nodes) {
    if (policy === undefined) {
      options.log.warn(
        { node, required: REQUIRED_MAXMEMORY_POLICY },
        'could not check Redis maxmemory-policy (CONFIG is not allowed); make sure it is noeviction, or sessions may be evicted silently',
      );
    } else if (policy !== REQUIRED_MAXMEMORY_POLICY) {
      if (options.mode === 'refuse') {
        throw new TesseraError(
          'UNAVAILABLE',
          `Redis ${node} has maxmemory-policy ${policy}; the session store requires ${REQUIRED_MAXMEMORY_POLICY}`,
          { metadata: { node, maxmemoryPolicy: policy } },
        );
      }
      options.log.warn(
        { node, maxmemoryPolicy: policy, required: REQUIRED_MAXMEMORY_POLICY },
        'REDIS MAY EVICT SESSIONS: maxmemory-policy is not noeviction; revoked or live sessions can disappear silently under memory pressure',
      );
    }
  }
  return {
    nodes,
    safe: nodes.every((node) => node.policy === REQUIRED_MAXMEMORY_POLICY),
  };
}
