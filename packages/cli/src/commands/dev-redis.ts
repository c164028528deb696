import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** True when a `redis-server` binary is on PATH. */
export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A private Redis for the development stack: on a free loopback port (never 6379, never a
 * user's data), its data in the data directory with an append-only file so sessions survive
 * restarts, and `noeviction` as production requires. It runs under `tessera guard` (this
 * bundle), linked to this process by an IPC channel, so it stops when the stack's supervisor
 * ends, however it ends.
 */
export async function startDevRedis(
  dataDir: string,
): Promise<{ url: string; process: ChildProcess }> {
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      fileURLToPath(import.meta.url),
      'guard',
      '--',
      'redis-server',
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--maxmemory-policy',
      'noeviction',
      '--logfile',
      join(dir, 'redis.log'),
    ],
    { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], detached: true },
  );
  return { url: `redis://127.0.0.1:${port}`, process: child };
}
