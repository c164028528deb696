import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ensureDevRealm, loadRealmFile, writeFileAtomically } from '@tessera/config';
import { onStopRequest } from '@tessera/grpc-runtime';
import { type Command, Option } from 'commander';
import { hostPort } from '../option-parsers.js';
import {
  defaultLogFormat,
  LOG_FORMATS,
  type LogFormat,
  prettyLogLine,
} from '../start/pretty-log.js';
import { redisServerAvailable, startDevRedis } from './dev-redis.js';
import { waitUntilHttpReady, waitUntilServing } from './health-wait.js';
import { maskedUrl } from './masked-url.js';

// The bundled CLI lives in packages/cli/dist; the services' bundles sit beside it in the tree.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const READY_TIMEOUT_MS = 20_000;

interface StartOptions {
  dataDir: string;
  config?: string;
  issuerAddress: string;
  issuerMetricsAddress: string;
  sessionAddress: string;
  sessionMetricsAddress: string;
  gatewayAddress: string;
  gatewayMetricsAddress: string;
  redisUrl?: string;
  logLevel: string;
  logFormat?: LogFormat;
}

/** The development token pepper, generated once into the data directory and reused. */
function devPepper(dataDir: string): string {
  const file = join(dataDir, 'token-pepper');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileAtomically(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/** Fails with a clear message when something already listens on `host:port`. */
async function assertAddressFree(address: string, what: string): Promise<void> {
  const host = address.slice(0, address.lastIndexOf(':'));
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  await new Promise<void>((resolveFree, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(`${what} ${address} is not free (${error.code}); choose another with its option`),
      ),
    );
    server.listen(port, host, () => server.close(() => resolveFree()));
  });
}

/** `tessera start`: the whole stack on its embedded defaults, for development. */
export function registerStartCommand(program: Command, out: (line: string) => void): void {
  program
    .command('start')
    .description(
      'run the whole stack (Redis, session, issuer, gateway) on a development realm, created on first start and reused after',
    )
    .addOption(
      new Option('--data-dir <dir>', 'where the development realm, keys and Redis data live')
        .env('TESSERA_DATA_DIR')
        .default('.data'),
    )
    .addOption(
      new Option('--config <file>', 'use this realm file instead of the development realm').env(
        'TESSERA_CONFIG',
      ),
    )
    .addOption(
      new Option('--issuer-address <host:port>', 'issuer gRPC address')
        .env('ISSUER_ADDRESS')
        .default('127.0.0.1:50051')
        .argParser(hostPort()),
    )
    .addOption(
      new Option('--issuer-metrics-address <host:port>', 'issuer /metrics')
        .env('ISSUER_METRICS_ADDRESS')
        .default('127.0.0.1:9464')
        .argParser(hostPort()),
    )
    .addOption(
      new Option('--session-address <host:port>', 'session gRPC address')
        .env('SESSION_ADDRESS')
        .default('127.0.0.1:50052')
        .argParser(hostPort()),
    )
    .addOption(
      new Option('--session-metrics-address <host:port>', 'session /metrics')
        .env('SESSION_METRICS_ADDRESS')
        .default('127.0.0.1:9465')
        .argParser(hostPort()),
    )
    .addOption(
      new Option('--gateway-address <host:port>', 'REST gateway address')
        .env('GATEWAY_ADDRESS')
        .default('127.0.0.1:8080')
        .argParser(hostPort()),
    )
    .addOption(
      new Option('--gateway-metrics-address <host:port>', 'gateway /metrics (management port)')
        .env('GATEWAY_METRICS_ADDRESS')
        .default('127.0.0.1:9466')
        .argParser(hostPort()),
    )
    .addOption(
      new Option(
        '--redis-url <url>',
        'Redis of the session service (default: a private redis-server, else memory)',
      ).env('REDIS_URL'),
    )
    .addOption(
      new Option('--log-level <level>', 'log level of the services')
        .env('LOG_LEVEL')
        .default('info'),
    )
    .addOption(
      new Option(
        '--log-format <format>',
        "the services' log lines: json as written, or pretty (one readable line per event); default pretty on a terminal, json otherwise",
      )
        .choices(LOG_FORMATS)
        .env('TESSERA_LOG_FORMAT'),
    )
    .action(async (options: StartOptions) => {
      const logFormat = options.logFormat ?? defaultLogFormat(process.stdout.isTTY);
      const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
      const dataDir = resolve(options.dataDir);
      let realmFile: string;
      let apiKey: string | undefined;
      let note: string;
      if (options.config) {
        realmFile = resolve(options.config);
        loadRealmFile(realmFile);
        apiKey = process.env.SESSION_API_KEY;
        if (!apiKey)
          throw new Error(
            'with --config, set SESSION_API_KEY to an API key of that realm for the issuer → session calls',
          );
        note = 'given realm';
      } else {
        const dev = await ensureDevRealm(dataDir);
        realmFile = dev.realmFile;
        apiKey = dev.apiKey;
        note = dev.created ? 'development realm, created now' : 'development realm, reused';
      }

      const children: { name: string; process: ChildProcess }[] = [];
      let stopping: Promise<void> | undefined;
      const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
      // One SIGTERM per service, in reverse start order, each awaited: the issuer drains
      // before the session service, which drains before its Redis goes away. A second
      // signal would tell a service to cancel what it is still finishing.
      const stopAll = (): Promise<void> => {
        stopping ??= (async () => {
          for (const { process: child } of [...children].reverse()) {
            if (!running(child)) continue;
            const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
            child.kill('SIGTERM');
            await exited;
          }
        })();
        return stopping;
      };
      // SIGHUP too: closing the terminal must not leave the stack holding its ports.
      onStopRequest(() => void stopAll());
      // The services run in their own process groups (so a terminal's Ctrl-C reaches them only
      // once, through us). Each is linked to us by an IPC channel and stops by itself when it
      // closes (we were killed); on an ordinary exit we make sure of it here too.
      process.on('exit', () => {
        for (const { process: child } of children) if (running(child)) child.kill('SIGTERM');
      });
      const watch = (name: string, child: ChildProcess) => {
        children.push({ name, process: child });
        child.once('exit', (code, signal) => {
          if (stopping === undefined) {
            out(
              `the ${name} stopped unexpectedly (${signal ?? `exit ${code}`}); stopping the stack`,
            );
            process.exitCode = 1;
            void stopAll();
          } else if (code !== 0 && signal !== 'SIGTERM') {
            process.exitCode = 1;
          }
        });
      };
      const exited = (child: ChildProcess) => () =>
        child.exitCode !== null || child.signalCode !== null;

      let store: string;
      let redisUrl = options.redisUrl ?? '';
      if (redisUrl === '' && redisServerAvailable()) {
        const redis = await startDevRedis(dataDir);
        watch('redis-server', redis.process);
        redisUrl = redis.url;
        out(`ok  redis-server ready at ${redis.url}`);
        store = `private redis-server at ${redisUrl} (data in ${join(dataDir, 'redis')})`;
      } else if (redisUrl !== '') {
        // REDIS_URL may carry the Redis password: the summary is for a terminal, often shared.
        store = `Redis at ${maskedUrl(redisUrl)}`;
      } else {
        store = 'IN MEMORY (no Redis found: sessions are lost when the stack stops)';
        out(
          'WARNING: no REDIS_URL and no redis-server on PATH; the session service keeps refresh tokens in memory.',
        );
      }

      for (const [name, address] of [
        ['session', options.sessionAddress],
        ['issuer', options.issuerAddress],
        ['gateway', options.gatewayAddress],
      ] as const) {
        await assertAddressFree(address, `the ${name} address`);
      }
      const serviceEnv = { ...process.env, TESSERA_CONFIG: realmFile, LOG_LEVEL: options.logLevel };
      /** Starts one service bundle in its own process group and waits until it is ready. */
      const startService = async (
        name: string,
        address: string,
        bundle: string,
        env: Record<string, string>,
        ready: (exited: () => boolean) => Promise<void>,
      ) => {
        const child = spawn(process.execPath, ['--enable-source-maps', resolve(ROOT, bundle)], {
          stdio: ['inherit', logFormat === 'pretty' ? 'pipe' : 'inherit', 'inherit', 'ipc'],
          detached: true,
          env: { ...serviceEnv, ...env },
        });
        if (child.stdout) {
          createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY }).on(
            'line',
            (line) => out(prettyLogLine(line, { color })),
          );
        }
        watch(name, child);
        await ready(exited(child));
        out(`ok  ${name} ready at ${address}`);
      };
      const grpcReady = (name: string, address: string) => (hasExited: () => boolean) =>
        waitUntilServing(address, { name, timeoutMs: READY_TIMEOUT_MS, exited: hasExited });

      await startService(
        'session service',
        options.sessionAddress,
        'services/session/dist/main.js',
        {
          SESSION_ADDRESS: options.sessionAddress,
          SESSION_METRICS_ADDRESS: options.sessionMetricsAddress,
          SESSION_STORE: redisUrl === '' ? 'memory' : 'redis',
          REDIS_URL: redisUrl,
          TESSERA_TOKEN_PEPPER: process.env.TESSERA_TOKEN_PEPPER ?? devPepper(dataDir),
        },
        grpcReady('session service', options.sessionAddress),
      );
      await startService(
        'issuer',
        options.issuerAddress,
        'services/issuer/dist/main.js',
        {
          ISSUER_ADDRESS: options.issuerAddress,
          ISSUER_METRICS_ADDRESS: options.issuerMetricsAddress,
          SESSION_ADDRESS: options.sessionAddress,
          SESSION_API_KEY: apiKey,
        },
        grpcReady('issuer', options.issuerAddress),
      );
      await startService(
        'gateway',
        `http://${options.gatewayAddress}`,
        'services/gateway/dist/main.js',
        {
          GATEWAY_ADDRESS: options.gatewayAddress,
          GATEWAY_METRICS_ADDRESS: options.gatewayMetricsAddress,
          ISSUER_ADDRESS: options.issuerAddress,
          SESSION_ADDRESS: options.sessionAddress,
          GATEWAY_API_KEY: apiKey,
        },
        (hasExited) =>
          waitUntilHttpReady(`http://${options.gatewayAddress}/readyz`, {
            name: 'gateway',
            timeoutMs: READY_TIMEOUT_MS,
            exited: hasExited,
          }),
      );

      const tenant = loadRealmFile(realmFile).document.tenants[0];
      const keyHeader = options.config ? '' : `-H 'authorization: ${apiKey}' `;
      out('');
      out(`tessera is running (${note})`);
      out(`  realm file    ${realmFile}`);
      out(
        `  issuer gRPC   ${options.issuerAddress}   (reflection on: grpcurl -plaintext ${options.issuerAddress} list)`,
      );
      out(`  session gRPC  ${options.sessionAddress}`);
      out(
        `  REST gateway  http://${options.gatewayAddress}   (API page: http://${options.gatewayAddress}/docs)`,
      );
      out(`  session store ${store}`);
      out(
        `  metrics       http://${options.issuerMetricsAddress}/metrics  http://${options.sessionMetricsAddress}/metrics  http://${options.gatewayMetricsAddress}/metrics`,
      );
      if (tenant) out(`  tenant        ${tenant.name} ${tenant.id}  iss=${tenant.issuer}`);
      if (!options.config) out(`  dev API key   ${apiKey}`);
      out('');
      out('Vend a token (REST, FusionAuth API):');
      out(
        `  curl -s -X POST http://${options.gatewayAddress}/api/jwt/vend -H 'Authorization: ${options.config ? '<your API key>' : apiKey}' -H 'Content-Type: application/json' -d '{"claims":{"sub":"me"}}'`,
      );
      out('Vend a token (gRPC):');
      out(
        `  grpcurl -plaintext ${keyHeader}-d '{"claims_json":"{\\"sub\\":\\"me\\"}"}' ${options.issuerAddress} tessera.issuer.v1.IssuerService/Vend`,
      );
      out('Ctrl-C stops the stack.');
    });
}
