import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findFreePort } from './free-port.js';
import { makeRedisDir, RedisProcess } from './redis-server.js';
import { redisCommand } from './resp-command.js';

/**
 * A real Redis Cluster of masters without replicas on 127.0.0.1, for proving that every
 * script stays within one hash slot. Each node has its own folder; `stop()` removes all.
 */

/** Options of `startRedisCluster`. */
export interface RedisClusterOptions {
  /** Default 3 (the minimum Redis accepts). */
  readonly masters?: number;
  /** How long to wait for `cluster_state:ok` everywhere. Default 30 s. */
  readonly readyTimeoutMs?: number;
}

/** A running test cluster. */
export interface RedisCluster {
  /** The masters' addresses (give them all to a cluster client). */
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  /** Stops every node and removes the folders; safe to call twice. */
  stop(): Promise<void>;
}

const run = promisify(execFile);

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function clusterReady(port: number, masters: number): Promise<boolean> {
  try {
    const info = await redisCommand(port, ['CLUSTER', 'INFO'], 500);
    return (
      typeof info === 'string' &&
      info.includes('cluster_state:ok') &&
      info.includes('cluster_slots_ok:16384') &&
      info.includes(`cluster_known_nodes:${masters}`)
    );
  } catch {
    return false;
  }
}

/**
 * Starts `masters` cluster-enabled servers, joins them with `redis-cli --cluster create`
 * and waits until every node reports `cluster_state:ok`; `stop()` it in `afterAll`.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const dir = makeRedisDir();
  const processes: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((node) => node.stop()));
    processes.length = 0;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports = new Set<number>();
    while (ports.size < masters) {
      const port = await findFreePort({ clusterBus: true });
      if (![...ports].some((taken) => Math.abs(taken - port) === 10_000)) ports.add(port);
    }
    for (const [i, port] of [...ports].entries()) {
      const nodeDir = join(dir, `node-${i}`);
      mkdirSync(nodeDir);
      processes.push(
        new RedisProcess(port, nodeDir, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(nodeDir, 'nodes.conf'),
          '--cluster-node-timeout',
          '5000',
          '--appendonly',
          'no',
          '--maxmemory-policy',
          'noeviction',
        ]),
      );
    }
    await Promise.all(processes.map((node) => node.start(10_000)));
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...processes.map((node) => `127.0.0.1:${node.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: readyTimeoutMs },
    );
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      const states = await Promise.all(processes.map((node) => clusterReady(node.port, masters)));
      if (states.every(Boolean)) break;
      if (Date.now() > deadline)
        throw new Error('the test Redis Cluster did not reach cluster_state:ok');
      await delay(50);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  let stopped = false;
  return {
    nodes: processes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    async stop() {
      if (stopped) return;
      stopped = true;
      await stop();
    },
  };
}
