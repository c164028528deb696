import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePort } from './free-port.js';
import { makeRedisDir, RedisProcess } from './redis-server.js';
import { redisCommand } from './resp-command.js';

/** A running test Sentinel. */
export interface RedisSentinel {
  readonly host: string;
  readonly port: number;
  /** The monitored master's name. */
  readonly masterName: string;
  /** Stops the Sentinel and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Starts one Sentinel monitoring the Redis at 127.0.0.1:`masterPort` under `masterName`
 * (quorum 1), and waits until it reports that master; `stop()` it in `afterAll`.
 */
export async function startRedisSentinel(
  masterPort: number,
  masterName = 'tessera',
): Promise<RedisSentinel> {
  const dir = makeRedisDir();
  const configFile = join(dir, 'sentinel.conf');
  // Sentinel rewrites its configuration file, so it must be its own, writable one.
  writeFileSync(configFile, `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 1\n`);
  const sentinel = new RedisProcess(await findFreePort(), dir, ['--sentinel'], configFile);
  try {
    await sentinel.start(10_000);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const reply = await redisCommand(sentinel.port, [
        'SENTINEL',
        'GET-MASTER-ADDR-BY-NAME',
        masterName,
      ]).catch(() => null);
      if (Array.isArray(reply) && reply[1] === String(masterPort)) break;
      if (Date.now() > deadline) throw new Error('the test Sentinel did not learn its master');
      await delay(50);
    }
  } catch (error) {
    await sentinel.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  return {
    host: '127.0.0.1',
    port: sentinel.port,
    masterName,
    async stop() {
      if (stopped) return;
      stopped = true;
      await sentinel.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
