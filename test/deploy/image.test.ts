import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type RedisServer,
  type StandardRealm,
  startRedisServer,
  writeStandardRealm,
} from '@tessera/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessTracker, runNode } from '../../packages/cli/test/support/node-process.js';
import { freePort } from '../../packages/cli/test/support/ports.js';
import { HealthClient } from '../../packages/grpc-runtime/test/support/generic-clients.js';
import { buildImageTree, fileSnapshot, type ImageTree, REPO_ROOT } from './image-tree.js';

// The container image, proved without a container engine: deploy/image-tree.mjs lays out the
// image's /app (the Dockerfile's runtime stage copies its output and nothing else), and every
// component starts from that folder alone, with no repository around it, and serves.

let tree: ImageTree;
let redis: RedisServer;
let realm: StandardRealm;
const processes = new ProcessTracker();

beforeAll(async () => {
  [tree, redis, realm] = await Promise.all([
    buildImageTree(),
    startRedisServer(),
    writeStandardRealm(),
  ]);
}, 150_000);

afterAll(async () => {
  await processes.killAll();
  await redis?.stop();
  realm?.cleanup();
  tree?.remove();
});

/** Polls `probe` until it answers true, failing with the last answer after `timeoutMs`. */
async function eventually(
  what: string,
  probe: () => Promise<boolean | string>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await probe();
      if (last === true) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not ready in time (${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function grpcServing(address: string): Promise<boolean | string> {
  const client = new HealthClient(address);
  try {
    const status = await client.check('');
    return status === 'SERVING' || status;
  } finally {
    client.close();
  }
}

async function httpOk(url: string): Promise<boolean | string> {
  const response = await fetch(url);
  await response.body?.cancel();
  return response.status === 200 || `HTTP ${response.status}`;
}

/** Runs `tessera <component>` from the tree, as the image's entry point would. */
function startComponent(component: string, env: Record<string, string>) {
  return processes.start('entrypoint.mjs', [component], {
    cwd: tree.dir,
    // No loader or option of the test runner leaks into the component.
    env: { NODE_OPTIONS: '', NODE_PATH: '', LOG_LEVEL: 'warn', ...env },
  });
}

describe('the container image tree', { timeout: 90_000 }, () => {
  it('holds the bundles, proto/, the Lua scripts and production dependencies only', () => {
    const components = tree.components;
    expect(Object.keys(components)).toEqual(
      expect.arrayContaining(['issuer', 'session', 'gateway', 'cli']),
    );
    for (const bundle of Object.values(components))
      expect(existsSync(join(tree.dir, bundle))).toBe(true);
    expect(existsSync(join(tree.dir, 'proto/tessera'))).toBe(true);
    expect(existsSync(join(tree.dir, 'services/session/dist/lua'))).toBe(true);
    for (const dependency of ['@grpc/grpc-js', 'fastify', 'ioredis', 'jose'])
      expect(existsSync(join(tree.dir, 'node_modules', dependency)), dependency).toBe(true);
    for (const devDependency of ['esbuild', 'vitest', 'typescript', 'ts-proto', '@biomejs'])
      expect(existsSync(join(tree.dir, 'node_modules', devDependency)), devDependency).toBe(false);
    // Neither sources nor the workspace links: the bundles compile the packages in.
    expect(existsSync(join(tree.dir, 'node_modules/@tessera'))).toBe(false);
    expect(existsSync(join(tree.dir, 'services/issuer/src'))).toBe(false);
  });

  it('the entry point lists the components and refuses an unknown one', async () => {
    const help = await runNode('entrypoint.mjs', ['--help'], { cwd: tree.dir });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: tessera <issuer \| session \| gateway/);
    const unknown = await runNode('entrypoint.mjs', ['nope'], { cwd: tree.dir });
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('unknown component "nope"');
    const cli = await runNode('entrypoint.mjs', ['cli', '--help'], { cwd: tree.dir });
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('Usage: tessera');
  });

  it('starts every component from the tree alone, each one serving, writing nothing there', async () => {
    const before = fileSnapshot(tree.dir);
    const [issuerPort, sessionPort, gatewayPort, sidecarGrpcPort, sidecarHttpPort] =
      await Promise.all(Array.from({ length: 5 }, () => freePort()));
    const issuerAddress = `127.0.0.1:${issuerPort}`;
    const sessionAddress = `127.0.0.1:${sessionPort}`;
    const started = new Set<string>();

    const session = startComponent('session', {
      TESSERA_CONFIG: realm.realmFile,
      SESSION_ADDRESS: sessionAddress,
      SESSION_METRICS_ADDRESS: '',
      REDIS_URL: redis.url,
      TESSERA_TOKEN_PEPPER: randomBytes(32).toString('base64url'),
    });
    started.add('session');
    const issuer = startComponent('issuer', {
      TESSERA_CONFIG: realm.realmFile,
      ISSUER_ADDRESS: issuerAddress,
      ISSUER_METRICS_ADDRESS: '',
      SESSION_ADDRESS: sessionAddress,
      SESSION_API_KEY: realm.keys.admin,
    });
    started.add('issuer');
    const gateway = startComponent('gateway', {
      TESSERA_CONFIG: realm.realmFile,
      GATEWAY_ADDRESS: `127.0.0.1:${gatewayPort}`,
      ISSUER_ADDRESS: issuerAddress,
      SESSION_ADDRESS: sessionAddress,
      GATEWAY_API_KEY: realm.keys.admin,
    });
    started.add('gateway');
    // The sidecar is a component once its bundle is part of the build.
    const sidecar =
      'sidecar' in tree.components
        ? startComponent('sidecar', {
            TESSERA_CONFIG: realm.realmFile,
            ISSUER_ADDRESS: issuerAddress,
            SESSION_ADDRESS: sessionAddress,
            SIDECAR_API_KEY: realm.keys.admin,
            SIDECAR_GRPC_ADDRESS: `127.0.0.1:${sidecarGrpcPort}`,
            SIDECAR_HTTP_ADDRESS: `127.0.0.1:${sidecarHttpPort}`,
          })
        : undefined;
    if (sidecar) started.add('sidecar');
    // `cli` is a tool, not a server: the entry point test above runs it.
    expect([...started, 'cli'].sort()).toEqual(Object.keys(tree.components).sort());

    try {
      await eventually('session', () => grpcServing(sessionAddress));
      await eventually('issuer', () => grpcServing(issuerAddress));
      await eventually('gateway', () => httpOk(`http://127.0.0.1:${gatewayPort}/readyz`));
      if (sidecar) {
        await eventually('sidecar gRPC', () => grpcServing(`127.0.0.1:${sidecarGrpcPort}`));
        await eventually('sidecar HTTP', () =>
          httpOk(`http://127.0.0.1:${sidecarHttpPort}/readyz`),
        );
      }
    } catch (error) {
      const output = [session, issuer, gateway, sidecar]
        .filter((p) => p !== undefined)
        .map((p) => `${p.stdout}${p.stderr}`)
        .join('\n');
      throw new Error(`${String(error)}\n${output}`);
    }

    // The health check that compose runs in the container agrees.
    for (const [kind, target] of [
      ['grpc', issuerAddress],
      ['grpc', sessionAddress],
      ['http', `http://127.0.0.1:${gatewayPort}/readyz`],
    ] as const) {
      const check = await runNode('healthcheck.mjs', [kind, target], { cwd: tree.dir });
      expect(check.code, `${kind} ${target}: ${check.stderr}`).toBe(0);
    }
    const unhealthy = await runNode('healthcheck.mjs', ['grpc', '127.0.0.1:1'], { cwd: tree.dir });
    expect(unhealthy.code).toBe(1);

    for (const component of [sidecar, gateway, issuer, session]) {
      if (component === undefined) continue;
      component.signal('SIGTERM');
      expect(await component.waitForExit()).toEqual({ code: 0, signal: null });
    }
    // Nothing was written under /app: a read-only root filesystem is enough.
    expect(fileSnapshot(tree.dir)).toEqual(before);
  });
});

describe('the Dockerfile', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'deploy/Dockerfile'), 'utf8');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: { name: string; lines: string[] }[] = [];
  for (const line of instructions) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ name: from[1] ?? String(stages.length), lines: [] });
    else stages.at(-1)?.lines.push(line);
  }

  it('copies into the runtime image only the tree image-tree.mjs lays out', () => {
    const build = stages.find((stage) => stage.name === 'build');
    const runtime = stages.at(-1);
    expect(build?.lines.some((line) => /node deploy\/image-tree\.mjs \/out\b/.test(line))).toBe(
      true,
    );
    expect(runtime?.lines.filter((line) => /^(COPY|ADD)\b/i.test(line))).toEqual([
      'COPY --from=build /out /app',
    ]);
    // No RUN in the runtime stage: it adds nothing the tree (and so the test) does not hold.
    expect(runtime?.lines.filter((line) => /^RUN\b/i.test(line))).toEqual([]);
  });

  it('runs as a numeric non-root user, with the entry point in exec form', () => {
    const runtime = stages.at(-1)?.lines ?? [];
    const user = runtime.find((line) => line.startsWith('USER '));
    expect(user).toMatch(/^USER [1-9][0-9]*:[1-9][0-9]*$/);
    expect(runtime).toContain('ENTRYPOINT ["node", "/app/entrypoint.mjs"]');
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20\.\d+\.\d+-[a-z]+-slim$/m);
  });

  it('.dockerignore keeps local installs, builds and data out, and every source in', () => {
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(ignored).toEqual(
      expect.arrayContaining(['**/node_modules', '**/dist', '.git', '**/.data']),
    );
    for (const pattern of ignored)
      expect([
        'package.json',
        'package-lock.json',
        'proto',
        'packages',
        'services',
        'deploy',
      ]).not.toContain(pattern.replace(/\/$/, ''));
  });
});
