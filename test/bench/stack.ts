/**
 * Everything the server figures run against, each in its own process on 127.0.0.1: the grpc-js
 * echo and the fastify HTTP echo, a redis-server of the bench's own on a free port, the built
 * session service on that Redis, the built issuer connected to that session service and the
 * built REST gateway in front of both, all over one realm.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import {
  type RedisServer,
  type StandardRealm,
  startRedisServer,
  writeStandardRealm,
} from '@tessera/testing';
import { isMap, isSeq, parseDocument } from 'yaml';
import { type ChildServer, onExit, startChildServer } from './children.js';

/** The running stack; `stop` ends every process and removes every temporary folder. */
export interface BenchStack {
  readonly realm: StandardRealm;
  readonly echo: ChildServer;
  readonly httpEcho: ChildServer;
  readonly redis: RedisServer;
  readonly session: ChildServer;
  readonly issuer: ChildServer;
  /** Ready (its /readyz answered 200) before the stack is returned. */
  readonly gateway: ChildServer;
  /** The session service's token pepper, for stores the bench opens on the same Redis. */
  readonly pepper: Buffer;
  /** A realm key allowed every session RPC; the issuer calls the session service with it. */
  readonly sessionApiKey: string;
  stop(): Promise<void>;
}

/** Options of {@link startStack}. */
export interface StackOptions {
  /** The repository root: where the bundles and the echo server are. */
  readonly root: string;
  /** Node options put before the echo server's script (e.g. `--cpu-prof`). */
  readonly echoNodeArgs?: readonly string[];
  /** Node options put before the HTTP echo server's script. */
  readonly httpEchoNodeArgs?: readonly string[];
  /** Node options put before the issuer's bundle. */
  readonly issuerNodeArgs?: readonly string[];
  /** Node options put before the session service's bundle. */
  readonly sessionNodeArgs?: readonly string[];
  /** Node options put before the gateway's bundle. */
  readonly gatewayNodeArgs?: readonly string[];
}

/** How long the gateway may take, once listening, to have its backends and keys. */
const GATEWAY_READY_TIMEOUT_MS = 30_000;

/** Starts the stack; whatever started before a failure is stopped again. */
export async function startStack(options: StackOptions): Promise<BenchStack> {
  const { root } = options;
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
    stops.length = 0;
  };
  try {
    const realm = await writeStandardRealm();
    const forgetRealm = onExit(() => realm.cleanup());
    stops.push(async () => {
      realm.cleanup();
      forgetRealm();
    });
    useOneTimeUse(realm);

    const echo = await startChildServer(
      'echo server',
      [
        ...(options.echoNodeArgs ?? []),
        '--conditions=tessera-source',
        '--import',
        'tsx',
        'test/bench/echo-server.ts',
      ],
      { cwd: root },
    );
    stops.push(() => echo.stop());

    const httpEcho = await startChildServer(
      'HTTP echo server',
      [
        ...(options.httpEchoNodeArgs ?? []),
        '--conditions=tessera-source',
        '--import',
        'tsx',
        'test/bench/http-echo-server.ts',
      ],
      { cwd: root },
    );
    stops.push(() => httpEcho.stop());

    const redis = await startRedisServer();
    // startRedisServer kills its server on exit; its folder is left to this hook.
    const forgetRedisDir = onExit(() => rmSync(redis.dir, { recursive: true, force: true }));
    stops.push(async () => {
      await redis.stop();
      forgetRedisDir();
    });

    // The production defaults otherwise: per-call log lines are debug, so none are written;
    // no metrics endpoint, because nothing scrapes it here.
    // A short grace period: the bench closes its channels before it stops the servers, and a
    // profiled server must exit by itself within children.ts's grace to write its profile.
    const common = {
      ...process.env,
      TESSERA_CONFIG: realm.realmFile,
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE_MS: '1000',
    };
    const pepper = randomBytes(32);
    const session = await startChildServer(
      'session',
      [...(options.sessionNodeArgs ?? []), 'services/session/dist/main.js'],
      {
        cwd: root,
        env: {
          ...common,
          SESSION_ADDRESS: '127.0.0.1:0',
          SESSION_METRICS_ADDRESS: '',
          SESSION_STORE: 'redis',
          REDIS_URL: redis.url,
          TESSERA_TOKEN_PEPPER: pepper.toString('hex'),
        },
      },
    );
    stops.push(() => session.stop());

    const sessionApiKey = realm.keys.plain;
    const issuer = await startChildServer(
      'issuer',
      [...(options.issuerNodeArgs ?? []), 'services/issuer/dist/main.js'],
      {
        cwd: root,
        env: {
          ...common,
          ISSUER_ADDRESS: '127.0.0.1:0',
          ISSUER_METRICS_ADDRESS: '',
          SESSION_ADDRESS: `127.0.0.1:${session.port}`,
          SESSION_API_KEY: sessionApiKey,
        },
      },
    );
    stops.push(() => issuer.stop());

    const gateway = await startChildServer(
      'gateway',
      [...(options.gatewayNodeArgs ?? []), 'services/gateway/dist/main.js'],
      {
        cwd: root,
        env: {
          ...common,
          GATEWAY_ADDRESS: '127.0.0.1:0',
          // A free port: the fixed default would stop a second bench on the same machine from
          // starting (the gateway's setting, unlike the issuer's, takes no empty value).
          GATEWAY_METRICS_ADDRESS: '127.0.0.1:0',
          ISSUER_ADDRESS: `127.0.0.1:${issuer.port}`,
          SESSION_ADDRESS: `127.0.0.1:${session.port}`,
          // The realm's key with every endpoint and no scope: what the gateway itself calls
          // the services with (anonymous refreshes, the key and revocation streams).
          GATEWAY_API_KEY: realm.keys.plain,
        },
        portOf: gatewayPort,
      },
    );
    stops.push(() => gateway.stop());
    await waitUntilReady(`http://127.0.0.1:${gateway.port}/readyz`, GATEWAY_READY_TIMEOUT_MS);

    return {
      realm,
      echo,
      httpEcho,
      redis,
      session,
      issuer,
      gateway,
      pepper,
      sessionApiKey,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The port of the gateway's "gateway listening" line, which names its address as a URL. */
function gatewayPort(line: Readonly<Record<string, unknown>>): number | undefined {
  if (typeof line.port === 'number') return line.port;
  if (line.msg !== 'gateway listening' || typeof line.address !== 'string') return undefined;
  const port = Number(new URL(line.address).port);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/**
 * Polls `url` until it answers 200: the gateway listens before its backends and the keys it
 * validates with are there, and /readyz says when they are.
 */
async function waitUntilReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

/**
 * Gives the standard realm's applicationA OneTimeUse refresh tokens (tenant A keeps its
 * Reusable default), so every refresh of its sessions consumes a token and mints a successor.
 */
function useOneTimeUse(realm: StandardRealm): void {
  const document = parseDocument(readFileSync(realm.realmFile, 'utf8'));
  const applications = document.get('applications');
  const application = isSeq(applications)
    ? applications.items.find((item) => isMap(item) && item.get('id') === realm.applicationA)
    : undefined;
  if (!isMap(application)) throw new Error('the standard realm has no applicationA entry');
  application.set('refreshToken', document.createNode({ usagePolicy: 'OneTimeUse' }));
  realm.writeRealm(document.toString());
}
