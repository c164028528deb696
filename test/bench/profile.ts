/**
 * `BENCH_PROFILE=<mode> node --conditions=tessera-source --import tsx test/bench/run.ts`: where a server's CPU goes per
 * call. The servers run under `node --cpu-prof`; the bench times each load with the monotonic
 * clock the profiles share, so each summary counts only the samples of its own load (no
 * start-up, no warm-up, no other load), divided by the calls made in it.
 *
 * - `vend`: the issuer under Vend, and the grpc-js echo under echo, side by side: what the
 *   issuer spends beyond the echo is tessera's own per-call cost (with the ES256 signature).
 * - `vend-stream`: the issuer under Vend as unary RPCs, then carried by the stream transport
 *   (`StreamTransport`, as the gateway calls it): what a carried call costs the issuer.
 * - `refresh`: the issuer and the session service under Refresh (issuer → session → Redis).
 * - `rotate`: the session service under Rotate.
 * - `gateway`: the fastify HTTP echo under its load, and the REST gateway under validation
 *   (repeat token, first-seen tokens), Vend and Refresh, with autocannon as in the REST
 *   figures (rest.ts): what the gateway spends beyond the echo is its own per-request cost.
 *
 * The profiles stay in a temporary folder, printed at the end, for Chrome DevTools or
 * `node --conditions=tessera-source --import tsx test/bench/cpu-profile.ts <file> [calls]`.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ChannelCredentials,
  type ChannelOptions,
  type Client,
  credentials,
} from '@grpc/grpc-js';
import { issuerV1, sessionV1 } from '@tessera/contracts';
import {
  createCaller,
  createCallTransport,
  createChannelOptions,
  credentialsMetadata,
  unaryCall,
} from '@tessera/grpc-runtime';
import { renderSummary, summarizeCpuProfile } from './cpu-profile.js';
import { EchoServiceClient } from './echo-service.js';
import { measureHttp } from './http-load.js';
import type { Operation } from './load.js';
import { type Measured, measure, type Timing, type Watched } from './measure.js';
import { startIssuerChains, startSessionChains } from './refresh-chains.js';
import { formatMicros, formatRate } from './report.js';
import { createRestWorkloads } from './rest.js';
import { type BenchStack, startStack } from './stack.js';
import { benchVendRequest } from './vend-request.js';

/** The loads a profile can be taken under. */
export const PROFILE_MODES = ['vend', 'vend-stream', 'refresh', 'rotate', 'gateway'] as const;
export type ProfileMode = (typeof PROFILE_MODES)[number];

/** Options of {@link runProfile}. */
export interface ProfileOptions {
  readonly root: string;
  readonly timing: Timing;
  readonly deadlineMs: number;
}

type ServerName = 'echo' | 'httpEcho' | 'issuer' | 'session' | 'gateway';

/** One profiled load, and the servers whose profiles it is read from. */
interface Load {
  readonly label: string;
  readonly servers: readonly ServerName[];
  /** Warms the load up and measures it at {@link IN_FLIGHT}, with `watched` watched. */
  readonly measure: (timing: Timing, watched: readonly Watched[]) => Promise<Measured>;
}

interface Profiled {
  readonly load: Load;
  readonly measured: Measured;
}

/** Where the hot path is: the figures the README's Performance section compares are taken at 64 in flight. */
const IN_FLIGHT = 64;
/**
 * Sampling interval (µs): finer than V8's 1 ms default so that functions of a few µs per
 * call show, coarse enough that the profiler itself stays a small part of the figures.
 */
const SAMPLING_INTERVAL_US = 250;
/** How many times BENCH_SECONDS each profiled load runs. */
const SECONDS_FACTOR = 4;

/** Takes the profiles of `mode` and prints their summaries. */
export async function runProfile(mode: ProfileMode, options: ProfileOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cpu-prof-'));
  const profiledServers: readonly ServerName[] = {
    vend: ['echo', 'issuer'] as const,
    'vend-stream': ['issuer'] as const,
    refresh: ['issuer', 'session'] as const,
    rotate: ['session'] as const,
    gateway: ['httpEcho', 'gateway'] as const,
  }[mode];
  const nodeArgs = (name: ServerName) =>
    profiledServers.includes(name)
      ? [
          '--cpu-prof',
          '--cpu-prof-dir',
          join(dir, name),
          '--cpu-prof-interval',
          String(SAMPLING_INTERVAL_US),
        ]
      : [];
  const stack = await startStack({
    root: options.root,
    echoNodeArgs: nodeArgs('echo'),
    httpEchoNodeArgs: nodeArgs('httpEcho'),
    issuerNodeArgs: nodeArgs('issuer'),
    sessionNodeArgs: nodeArgs('session'),
    gatewayNodeArgs: nodeArgs('gateway'),
  });
  const profiled: Profiled[] = [];
  const clients: Closable[] = [];
  // A profile needs more samples than a throughput figure.
  const timing = { ...options.timing, seconds: options.timing.seconds * SECONDS_FACTOR };
  try {
    for (const load of await loadsOf(mode, stack, clients, options)) {
      const watched = load.servers.map((name) => ({ name, pid: stack[name].pid }));
      const measured = await load.measure(timing, watched);
      profiled.push({ load, measured });
    }
  } finally {
    for (const client of clients) client.close();
    // The profiles are written as the servers exit; a stop that has to kill them loses them.
    await stack.stop();
  }

  console.log(
    `## CPU profiles at ${IN_FLIGHT} in flight (BENCH_PROFILE=${mode}, sampled every ` +
      `${SAMPLING_INTERVAL_US} µs)\n`,
  );
  for (const { load, measured } of profiled) {
    for (const server of load.servers) {
      const file = profileFile(join(dir, server));
      const summary = summarizeCpuProfile(file, { root: options.root, window: measured.window });
      console.log(
        `### ${server} under ${load.label}: ${formatRate(measured.opsPerSecond)} calls/s, ` +
          `${formatMicros(measured.cpuUsPerCallOf.get(server))} of process CPU per call (all threads)\n`,
      );
      console.log(renderSummary(summary, { calls: measured.calls }));
      console.log(
        `\nmore rows: node --conditions=tessera-source --import tsx test/bench/cpu-profile.ts ${file} ${measured.calls} ` +
          `${measured.window.fromUs} ${measured.window.toUs}\n`,
      );
    }
  }
  console.log(
    'self: the function itself was running; total: it was anywhere on the stack. Busy time is\n' +
      "the main thread's only (the process CPU above adds libuv and V8 helper threads).\n" +
      `profiles: ${dir}`,
  );
}

/** A client or a transport a load opened. */
type Closable = Pick<Client, 'close'>;

/** The loads of `mode`; the clients they open are added to `clients` for the caller to close. */
async function loadsOf(
  mode: ProfileMode,
  stack: BenchStack,
  clients: Closable[],
  options: ProfileOptions,
): Promise<Load[]> {
  const { realm } = stack;
  const { deadlineMs } = options;
  const grpcLoad = (label: string, servers: readonly ServerName[], operation: Operation): Load => ({
    label,
    servers,
    measure: (timing, watched) => measure(timing, label, operation, IN_FLIGHT, watched),
  });
  const open = <C extends Client>(
    Constructor: new (
      address: string,
      channelCredentials: ChannelCredentials,
      channelOptions: ChannelOptions,
    ) => C,
    port: number,
  ): C => {
    const client = new Constructor(
      `127.0.0.1:${port}`,
      credentials.createInsecure(),
      createChannelOptions(),
    );
    clients.push(client);
    return client;
  };
  switch (mode) {
    case 'vend': {
      const echoClient = open(EchoServiceClient, stack.echo.port);
      const issuerClient = open(issuerV1.IssuerServiceClient, stack.issuer.port);
      const payload = Buffer.alloc(256, 'e');
      const request = benchVendRequest(realm.tenantA);
      return [
        grpcLoad('gRPC echo', ['echo'], () =>
          unaryCall(echoClient.echo.bind(echoClient), payload, { deadlineMs }),
        ),
        grpcLoad('Vend ES256', ['issuer'], () =>
          unaryCall(issuerClient.vend.bind(issuerClient), request, {
            deadlineMs,
            metadata: credentialsMetadata(realm.keys.admin),
          }),
        ),
      ];
    }
    case 'vend-stream': {
      const issuerClient = open(issuerV1.IssuerServiceClient, stack.issuer.port);
      const transport = createCallTransport({
        kind: 'stream',
        target: `127.0.0.1:${stack.issuer.port}`,
        metadata: { authorization: realm.keys.admin },
      });
      clients.push(transport);
      const issuer = createCaller(issuerV1.IssuerServiceService, transport, { deadlineMs });
      const request = benchVendRequest(realm.tenantA);
      return [
        grpcLoad('Vend ES256, unary', ['issuer'], () =>
          unaryCall(issuerClient.vend.bind(issuerClient), request, {
            deadlineMs,
            metadata: credentialsMetadata(realm.keys.admin),
          }),
        ),
        grpcLoad('Vend ES256, stream transport', ['issuer'], () => issuer.vend(request)),
      ];
    }
    case 'refresh': {
      const issuerClient = open(issuerV1.IssuerServiceClient, stack.issuer.port);
      const chains = await startIssuerChains({
        realm,
        clients: IN_FLIGHT,
        deadlineMs,
        client: issuerClient,
        apiKey: realm.keys.admin,
        directory: open(sessionV1.SessionServiceClient, stack.session.port),
        directoryApiKey: stack.sessionApiKey,
      });
      return [grpcLoad('Refresh', ['issuer', 'session'], chains.rotate)];
    }
    case 'rotate': {
      const sessionClient = open(sessionV1.SessionServiceClient, stack.session.port);
      const chains = await startSessionChains({
        realm,
        clients: IN_FLIGHT,
        deadlineMs,
        client: sessionClient,
        apiKey: stack.sessionApiKey,
      });
      return [grpcLoad('Rotate', ['session'], chains.rotate)];
    }
    case 'gateway': {
      const rest = await createRestWorkloads({
        stack,
        issuerClient: open(issuerV1.IssuerServiceClient, stack.issuer.port),
        sessionClient: open(sessionV1.SessionServiceClient, stack.session.port),
        deadlineMs,
      });
      const httpLoad = (
        label: string,
        workload: typeof rest.vend,
        server: 'httpEcho' | 'gateway' = 'gateway',
      ): Load => ({
        label,
        servers: [server],
        measure: (timing, watched) =>
          measureHttp(
            timing,
            label,
            server === 'gateway' ? rest.gateway : rest.echo,
            workload,
            IN_FLIGHT,
            watched,
          ),
      });
      return [
        httpLoad('HTTP echo', rest.httpEcho, 'httpEcho'),
        httpLoad('REST validate (repeat token)', rest.validateRepeat),
        httpLoad('REST validate (first-seen tokens)', rest.validateFirstSeen),
        httpLoad('REST vend', rest.vend),
        httpLoad('REST refresh', rest.refresh),
      ];
    }
  }
}

/**
 * The main thread's profile. Node names them `CPU.<date>.<time>.<pid>.<thread>.<seq>`; worker
 * threads (tsx's loader in the echo server) write their own, with a thread id above 0.
 */
function profileFile(dir: string): string {
  const files = readdirSync(dir).filter((name) =>
    /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(name),
  );
  const [file] = files;
  if (file === undefined || files.length > 1) {
    throw new Error(`expected one .cpuprofile in ${dir}, found ${files.length}`);
  }
  return join(dir, file);
}
