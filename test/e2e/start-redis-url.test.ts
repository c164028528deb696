import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisServer, startRedisServer } from '@tessera/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bundles, buildBundles } from '../../packages/cli/test/support/bundles.js';
import { ProcessTracker } from '../../packages/cli/test/support/node-process.js';
import { freePort } from '../../packages/cli/test/support/ports.js';

// `tessera start` against a Redis that needs a password: the summary names the store, and a
// terminal (often shared, recorded, or pasted into a ticket) must not show the password.

const PASSWORD = `pw-${Math.random().toString(36).slice(2)}-never-printed`;

let bundles: Bundles;
let redis: RedisServer;
let dataDir: string;
const processes = new ProcessTracker();

beforeAll(async () => {
  [bundles, redis] = await Promise.all([
    buildBundles(),
    // A user with a password beside the default one, which the helper's PING readiness uses.
    startRedisServer({
      extraArgs: ['--user', 'tessera', 'on', `>${PASSWORD}`, '~*', '&*', '+@all'],
    }),
  ]);
  dataDir = join(mkdtempSync(join(tmpdir(), 'tessera-start-redis-')), 'data');
});

afterAll(async () => {
  await processes.killAll();
  await redis?.stop();
  if (dataDir !== undefined) rmSync(join(dataDir, '..'), { recursive: true, force: true });
  bundles?.remove();
});

describe('security finding 12 — tessera start and REDIS_URL', { timeout: 90_000 }, () => {
  it('finding 12: prints the Redis store with the password masked', async () => {
    const ports = await Promise.all(Array.from({ length: 6 }, () => freePort()));
    const redisUrl = `redis://tessera:${PASSWORD}@127.0.0.1:${redis.port}`;
    const cli = processes.start(
      bundles.cli,
      [
        'start',
        '--data-dir',
        dataDir,
        '--issuer-address',
        `127.0.0.1:${ports[0]}`,
        '--issuer-metrics-address',
        `127.0.0.1:${ports[1]}`,
      ],
      {
        env: {
          REDIS_URL: redisUrl,
          SESSION_ADDRESS: `127.0.0.1:${ports[2]}`,
          SESSION_METRICS_ADDRESS: `127.0.0.1:${ports[3]}`,
          GATEWAY_ADDRESS: `127.0.0.1:${ports[4]}`,
          GATEWAY_METRICS_ADDRESS: `127.0.0.1:${ports[5]}`,
        },
      },
    );
    await cli.waitForLine((line) => line.startsWith('Ctrl-C stops the stack'), 'the summary');
    expect(cli.stdout).toContain(
      `session store Redis at redis://tessera:***@127.0.0.1:${redis.port}`,
    );
    expect(cli.stdout).not.toContain(PASSWORD);
    expect(cli.stderr).not.toContain(PASSWORD);
    cli.signal('SIGTERM');
    expect(await cli.waitForExit()).toEqual({ code: 0, signal: null });
  });
});
