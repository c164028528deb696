/**
 * The validation sidecar (the built one, in its own process, fed by the stack's issuer and
 * session service), each figure beside a limit measured in the same run:
 *
 * - Envoy `Check`, one repeated token, 64 in flight, against the bare grpc-js echo at 64;
 *   both loads send bytes encoded before the measurement (raw-check.ts), as Envoy's own
 *   encoding happens outside the sidecar;
 * - auth-request mode (`GET /auth` as nginx sends it), one repeated token, against a bare
 *   node:http echo (sidecar-http-echo.ts; the sidecar's listener is node:http too), both with
 *   autocannon at 64 connections;
 * - `Check` with first-seen tokens (a pool larger than the sidecar's cache, vended before),
 *   against 1 / (gRPC echo cost + raw ES256 verify cost);
 * - memory: the RSS of a fresh sidecar once ready and after 1,000,000 auth-request validations
 *   of 10,000 distinct tokens over its socket, with where the resident pages are (smaps);
 *
 * Every sidecar here runs as deployed: `node` with the flags and runtime environment of the
 * example manifest's sidecar container (sidecar-runtime.ts reads them from the manifest).
 * - time to ready: a sidecar started while its issuer is down, the issuer started after a
 *   while, and the time from the issuer listening to the sidecar's `/readyz` answering 200.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { credentials } from '@grpc/grpc-js';
import { issuerV1 } from '@tessera/contracts';
import { createChannelOptions, unaryCall } from '@tessera/grpc-runtime';
import autocannon from 'autocannon';
import { type ChildServer, processStats, startChildServer } from './children.js';
import { EchoServiceClient } from './echo-service.js';
import { type HttpMeasured, type HttpTarget, measureHttp } from './http-load.js';
import type { LoadResult } from './load.js';
import { type Measured, measure, serialLimit, type Timing } from './measure.js';
import { checkStatusCode, encodeCheckRequest, RawAuthorizationClient } from './raw-check.js';
import { createCryptoCases } from './raw-crypto.js';
import { formatBytes, formatMicros, formatRate, formatRatio, NONE, renderTable } from './report.js';
import { vendPool } from './rest.js';
import {
  deployedSidecarRuntime,
  SIDECAR_EXAMPLE_MANIFEST,
  type SidecarRuntime,
} from './sidecar-runtime.js';
import type { BenchStack } from './stack.js';

/** README, Performance: each sidecar figure reaches at least 70% of its limit. */
const TARGET = 0.7;
/** README, Performance: the sidecar's RSS after a million validations of 10,000 tokens. */
const MEMORY_TARGET_BYTES = 80 * 1024 * 1024;
/** README, Performance: ready this long after the issuer becomes reachable. */
const READY_TARGET_MS = 1_000;
const IN_FLIGHT = 64;
/**
 * Rounds of each throughput figure. A figure and its limit run back to back in a round and the
 * round with the median ratio is reported: this VM's speed drifts by tens of percent within
 * minutes, and a ratio from one pair of short runs moved by ±10 points between runs.
 */
const ROUNDS = 3;
/** Distinct tokens of the first-seen figure: more than the sidecar's cache (10,000). */
const FIRST_SEEN_POOL = 12_000;
const MEMORY_DISTINCT = 10_000;
const MEMORY_VALIDATIONS = 1_000_000;
/** How long the issuer stays down while the sidecar waits for it, in each ready figure. */
const ISSUER_DOWN_MS = [1_000, 5_000] as const;
const READY_POLL_MS = 5;
const ECHO_PAYLOAD = Buffer.alloc(256, 'e');
/** The request a proxy asks about: its method and path. */
const ORIGINAL = { method: 'GET', path: '/api/orders/42' };

/** Options of {@link runSidecar}. */
export interface SidecarBenchOptions {
  readonly root: string;
  readonly stack: BenchStack;
  readonly timing: Timing;
  readonly deadlineMs: number;
  /** The fastest raw ES256 verify, if the run measured it; measured here otherwise. */
  readonly verify?: { readonly implementation: string; readonly result: LoadResult };
}

/** What the sidecar figures produced. */
export interface SidecarResult {
  /** Each round: the gRPC echo, then Check with the repeat token, then first-seen tokens. */
  readonly grpcRounds: readonly GrpcRound[];
  /** Each round: the node:http echo, then auth-request with the repeat token. */
  readonly httpRounds: readonly HttpRound[];
  readonly verify: { readonly implementation: string; readonly result: LoadResult };
  readonly firstSeenTaken: number;
  readonly memory: MemoryFigure;
  readonly runtime: SidecarRuntime;
  readonly sidecarRss: { readonly rssBytes?: number; readonly peakRssBytes?: number };
  /** The sidecar's RSS once ready, before any figure. */
  readonly sidecarRssReady: number | undefined;
  readonly sidecarDecisions: number | undefined;
  readonly ready: readonly { readonly downMs: number; readonly readyMs: number }[];
}

/** One round of the gRPC figures, measured one after the other. */
interface GrpcRound {
  readonly echo: Measured;
  readonly repeat: Measured;
  readonly firstSeen: Measured;
}

/** One round of the HTTP figures, measured one after the other. */
interface HttpRound {
  readonly echo: HttpMeasured;
  readonly repeat: HttpMeasured;
}

/** A figure of the round whose ratio to its limit is the median of every round's. */
interface MedianFigure<T extends Measured> {
  readonly figure: T;
  readonly limitFigure: T;
  readonly limit: number;
  /** Every round's ratio, in the order the rounds ran. */
  readonly ratios: readonly number[];
}

/** The round with the median ratio of `figureOf` to `limitOf`, over every round. */
function medianRound<R, T extends Measured>(
  rounds: readonly R[],
  figureOf: (round: R) => T,
  limitFigureOf: (round: R) => T,
  limitOf: (round: R) => number,
): MedianFigure<T> {
  const ratios = rounds.map((round) => figureOf(round).opsPerSecond / limitOf(round));
  const order = rounds.map((_, index) => index).sort((a, b) => (ratios[a] ?? 0) - (ratios[b] ?? 0));
  const round = rounds[order[Math.floor(order.length / 2)] ?? 0];
  if (round === undefined) throw new Error('no round to take the median of');
  return {
    figure: figureOf(round),
    limitFigure: limitFigureOf(round),
    limit: limitOf(round),
    ratios,
  };
}

/** Where a process's resident pages are, from /proc/<pid>/smaps, in bytes. */
interface ResidentParts {
  /** Pages of the node executable (its code and read-only data), shared with every node on the machine. */
  readonly nodeBinary: number;
  /** Anonymous mappings: V8's heap, thread stacks and malloc arenas other than the main one. */
  readonly anonymous: number;
  /** The main malloc arena (`[heap]`). */
  readonly mallocHeap: number;
  /** Everything else: shared libraries and other mapped files. */
  readonly other: number;
}

interface MemoryFigure {
  readonly distinct: number;
  readonly validations: number;
  /** Answers other than 200, and connection errors: a clean run has none. */
  readonly failed: number;
  readonly seconds: number;
  readonly rssReady: number;
  readonly partsReady: ResidentParts | undefined;
  readonly rssAfter: number;
  readonly peakRss: number;
  readonly partsAfter: ResidentParts | undefined;
}

/** A sidecar process and its two ports. */
interface SidecarProcess {
  readonly server: ChildServer;
  readonly grpcPort: number;
  readonly httpPort: number;
}

/** Measures every sidecar figure against the running stack. */
export async function runSidecar(options: SidecarBenchOptions): Promise<SidecarResult> {
  const { stack, timing, deadlineMs, root } = options;
  const runtime = deployedSidecarRuntime(root);
  const verify = options.verify ?? (await measureRawVerify(timing));
  const issuerClient = new issuerV1.IssuerServiceClient(
    `127.0.0.1:${stack.issuer.port}`,
    credentials.createInsecure(),
    createChannelOptions(),
  );
  const echoClient = new EchoServiceClient(
    `127.0.0.1:${stack.echo.port}`,
    credentials.createInsecure(),
    createChannelOptions(),
  );
  const stops: (() => Promise<void>)[] = [
    async () => issuerClient.close(),
    async () => echoClient.close(),
  ];
  try {
    process.stderr.write(`sidecar: vending ${formatRate(FIRST_SEEN_POOL)} tokens…\n`);
    const pool = await vendPool({ stack, issuerClient, deadlineMs }, FIRST_SEEN_POOL);
    const repeatToken = pool[0] ?? '';

    const sidecar = await startSidecar(root, runtime, stack, `127.0.0.1:${stack.issuer.port}`);
    stops.push(() => sidecar.server.stop());
    await waitUntilReady(sidecar.httpPort, 30_000);
    const sidecarRssReady = processStats(sidecar.server.pid)?.rssBytes;
    const envoy = new RawAuthorizationClient(
      `127.0.0.1:${sidecar.grpcPort}`,
      credentials.createInsecure(),
      createChannelOptions(),
    );
    stops.push(async () => envoy.close());
    const checkBytes = (request: Buffer) =>
      unaryCall(envoy.check.bind(envoy), request, { deadlineMs });
    const repeatRequest = encodeCheckRequest(repeatToken, ORIGINAL);
    const allowedRepeat = await checkBytes(repeatRequest);
    const firstCode = checkStatusCode(allowedRepeat);
    if (firstCode !== 0) throw new Error(`the sidecar denied a fresh token (status ${firstCode})`);
    // The same token gets the same answer, byte for byte: anything else is a failure.
    const checkRepeatToken = async () => {
      const response = await checkBytes(repeatRequest);
      if (!response.equals(allowedRepeat))
        throw new Error('the sidecar answered a repeat token differently');
    };
    const firstSeenRequests = pool.map((token) => encodeCheckRequest(token, ORIGINAL));
    const checkFirstSeenToken = async (request: Buffer) => {
      const code = checkStatusCode(await checkBytes(request));
      if (code !== 0) throw new Error(`the sidecar denied a fresh token (status ${code})`);
    };

    const watchEcho = [{ name: 'echo', pid: stack.echo.pid }];
    const watchSidecar = [{ name: 'sidecar', pid: sidecar.server.pid }];
    let taken = 0;
    const grpcRounds: GrpcRound[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const of = `(round ${round} of ${ROUNDS})`;
      grpcRounds.push({
        echo: await measure(
          timing,
          `gRPC echo ${of}`,
          () => unaryCall(echoClient.echo.bind(echoClient), ECHO_PAYLOAD, { deadlineMs }),
          IN_FLIGHT,
          watchEcho,
        ),
        repeat: await measure(
          timing,
          `sidecar Check (repeat token) ${of}`,
          checkRepeatToken,
          IN_FLIGHT,
          watchSidecar,
        ),
        firstSeen: await measure(
          timing,
          `sidecar Check (first-seen tokens) ${of}`,
          () => checkFirstSeenToken(firstSeenRequests[taken++ % pool.length] ?? repeatRequest),
          IN_FLIGHT,
          watchSidecar,
        ),
      });
    }

    const bearer = { authorization: `Bearer ${repeatToken}` };
    const bareEcho = await startChildServer(
      'node:http echo',
      ['--import', 'tsx', 'test/bench/sidecar-http-echo.ts'],
      { cwd: root },
    );
    stops.push(() => bareEcho.stop());
    const sidecarHttp: HttpTarget = { origin: `http://127.0.0.1:${sidecar.httpPort}` };
    // What nginx's auth_request sends: a subrequest carrying the original method and URI.
    const authHeaders = {
      ...bearer,
      'x-original-method': ORIGINAL.method,
      'x-original-uri': ORIGINAL.path,
    };
    const probe = await fetch(`${sidecarHttp.origin}/auth`, { headers: authHeaders });
    await probe.arrayBuffer();
    if (probe.status !== 200)
      throw new Error(`GET /auth answered ${probe.status} to a fresh token`);
    const httpRounds: HttpRound[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const of = `(round ${round} of ${ROUNDS})`;
      httpRounds.push({
        echo: await measureHttp(
          timing,
          `node:http echo ${of}`,
          { origin: `http://127.0.0.1:${bareEcho.port}` },
          () => ({ path: '/auth', headers: bearer }),
          IN_FLIGHT,
          [{ name: 'http echo', pid: bareEcho.pid }],
        ),
        repeat: await measureHttp(
          timing,
          `sidecar auth-request (repeat token) ${of}`,
          sidecarHttp,
          () => ({ path: '/auth', headers: authHeaders }),
          IN_FLIGHT,
          watchSidecar,
        ),
      });
    }
    await bareEcho.stop();
    const sidecarDecisions = await decisionsServed(sidecar.httpPort);
    const stats = processStats(sidecar.server.pid);
    const sidecarRss = {
      ...(stats?.rssBytes === undefined ? {} : { rssBytes: stats.rssBytes }),
      ...(stats?.peakRssBytes === undefined ? {} : { peakRssBytes: stats.peakRssBytes }),
    };
    await sidecar.server.stop();

    const memory = await measureMemory(root, runtime, stack, pool.slice(0, MEMORY_DISTINCT));
    const ready: { downMs: number; readyMs: number }[] = [];
    for (const downMs of ISSUER_DOWN_MS) {
      ready.push({ downMs, readyMs: await measureReady(root, runtime, stack, downMs) });
    }
    return {
      grpcRounds,
      httpRounds,
      verify,
      firstSeenTaken: taken,
      memory,
      runtime,
      sidecarRss,
      sidecarRssReady,
      sidecarDecisions,
      ready,
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

/** The fastest raw ES256 verify of raw-crypto.ts, when the run has not measured it already. */
async function measureRawVerify(
  timing: Timing,
): Promise<{ implementation: string; result: LoadResult }> {
  let best: { implementation: string; result: LoadResult } | undefined;
  for (const cryptoCase of await createCryptoCases()) {
    if (cryptoCase.alg !== 'ES256' || cryptoCase.op !== 'verify' || !cryptoCase.raw) continue;
    const label = `ES256 verify (${cryptoCase.implementation})`;
    const result = await measure(timing, label, cryptoCase.run, 1);
    if (best === undefined || result.opsPerSecond > best.result.opsPerSecond) {
      best = { implementation: cryptoCase.implementation, result };
    }
  }
  if (best === undefined) throw new Error('no raw ES256 verify to measure');
  return best;
}

/**
 * Starts the built sidecar as deployed (the manifest's node flags and runtime environment)
 * against the stack's session service and `issuerAddress`.
 */
async function startSidecar(
  root: string,
  runtime: SidecarRuntime,
  stack: BenchStack,
  issuerAddress: string,
): Promise<SidecarProcess> {
  let httpPort: number | undefined;
  // BENCH_SIDECAR_CPU_PROF=<dir>: the sidecars also write a CPU profile there when they stop
  // (summarise one with test/bench/cpu-profile.ts), to see where a Check's CPU goes.
  const profileDir = process.env.BENCH_SIDECAR_CPU_PROF;
  const profileFlags = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const args = [...runtime.nodeFlags, ...profileFlags, 'services/sidecar/dist/main.js'];
  const server = await startChildServer('sidecar', args, {
    cwd: root,
    env: {
      ...process.env,
      ...runtime.env,
      TESSERA_CONFIG: stack.realm.realmFile,
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE_MS: '1000',
      ISSUER_ADDRESS: issuerAddress,
      SESSION_ADDRESS: `127.0.0.1:${stack.session.port}`,
      SIDECAR_API_KEY: stack.realm.keys.plain,
      SIDECAR_GRPC_ADDRESS: '127.0.0.1:0',
      SIDECAR_HTTP_ADDRESS: '127.0.0.1:0',
    },
    // "sidecar listening" names both ports: the gRPC one as a number, the HTTP one in a URL.
    portOf: (line) => {
      if (line.msg !== 'sidecar listening' || typeof line.grpcPort !== 'number') return undefined;
      if (typeof line.httpAddress === 'string') httpPort = Number(new URL(line.httpAddress).port);
      return line.grpcPort;
    },
  });
  if (httpPort === undefined || !(httpPort > 0)) {
    await server.stop();
    throw new Error('the sidecar did not say which HTTP port it listens on');
  }
  return { server, grpcPort: server.port, httpPort };
}

/** Whether the sidecar's /readyz answers 200 now. */
async function isReady(httpPort: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${httpPort}/readyz`, {
      signal: AbortSignal.timeout(1_000),
    });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

async function waitUntilReady(httpPort: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await isReady(httpPort)) return;
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  throw new Error(`the sidecar was not ready within ${timeoutMs} ms`);
}

/** The sum of `tessera_sidecar_decisions_total` over every mode and reason. */
async function decisionsServed(httpPort: number): Promise<number | undefined> {
  const response = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
  const text = await response.text();
  let total = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    const match = /^tessera_sidecar_decisions_total\{[^}]*\} (\S+)$/.exec(line);
    if (match?.[1] !== undefined) {
      total += Number(match[1]);
      seen = true;
    }
  }
  return seen ? total : undefined;
}

/** A free loopback port: bound, then released for the issuer to take. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address !== 'object') throw new Error('no port was bound');
  return address.port;
}

/**
 * Starts a sidecar whose issuer is not there yet, waits `downMs`, starts an issuer on the
 * address the sidecar dials, and returns the ms from the issuer listening to /readyz 200.
 */
async function measureReady(
  root: string,
  runtime: SidecarRuntime,
  stack: BenchStack,
  downMs: number,
): Promise<number> {
  process.stderr.write(`sidecar: time to ready after the issuer was down ${downMs} ms…\n`);
  const port = await freePort();
  const sidecar = await startSidecar(root, runtime, stack, `127.0.0.1:${port}`);
  let issuer: ChildServer | undefined;
  try {
    await new Promise((resolve) => setTimeout(resolve, downMs));
    if (await isReady(sidecar.httpPort)) throw new Error('the sidecar was ready with no issuer');
    issuer = await startChildServer('issuer (late)', ['services/issuer/dist/main.js'], {
      cwd: root,
      env: {
        ...process.env,
        TESSERA_CONFIG: stack.realm.realmFile,
        LOG_LEVEL: 'info',
        SHUTDOWN_GRACE_MS: '1000',
        ISSUER_ADDRESS: `127.0.0.1:${port}`,
        ISSUER_METRICS_ADDRESS: '',
        SESSION_ADDRESS: `127.0.0.1:${stack.session.port}`,
        SESSION_API_KEY: stack.sessionApiKey,
      },
    });
    const reachable = performance.now();
    await waitUntilReady(sidecar.httpPort, 30_000);
    return performance.now() - reachable;
  } finally {
    await issuer?.stop();
    await sidecar.server.stop();
  }
}

/** Where `pid`'s resident pages are; undefined where there is no /proc. */
function residentParts(pid: number): ResidentParts | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return undefined;
  }
  const executable = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
  const parts = { nodeBinary: 0, anonymous: 0, mallocHeap: 0, other: 0 };
  let part: keyof typeof parts = 'other';
  for (const line of text.split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      const name = mapping[1] ?? '';
      part =
        name === ''
          ? 'anonymous'
          : name === '[heap]'
            ? 'mallocHeap'
            : name === process.execPath || name === executable
              ? 'nodeBinary'
              : 'other';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) parts[part] += Number(rss[1]) * 1024;
  }
  return parts;
}

/**
 * Starts a fresh sidecar as deployed, waits until it is ready, then sends it MEMORY_VALIDATIONS
 * auth-request checks over its socket (autocannon, 64 connections) cycling through `tokens`,
 * and reads its RSS, peak and resident parts right after the last answer.
 */
async function measureMemory(
  root: string,
  runtime: SidecarRuntime,
  stack: BenchStack,
  tokens: readonly string[],
): Promise<MemoryFigure> {
  process.stderr.write(
    `sidecar: ${formatRate(MEMORY_VALIDATIONS)} validations of ${formatRate(tokens.length)} tokens…\n`,
  );
  const sidecar = await startSidecar(root, runtime, stack, `127.0.0.1:${stack.issuer.port}`);
  try {
    await waitUntilReady(sidecar.httpPort, 30_000);
    const rssReady = processStats(sidecar.server.pid)?.rssBytes ?? 0;
    const partsReady = residentParts(sidecar.server.pid);
    let next = 0;
    let failed = 0;
    const started = performance.now();
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url: `http://127.0.0.1:${sidecar.httpPort}/auth`,
          connections: IN_FLIGHT,
          pipelining: 1,
          amount: MEMORY_VALIDATIONS,
          timeout: 30,
          requests: [
            {
              setupRequest: (request) => ({
                ...request,
                headers: {
                  authorization: `Bearer ${tokens[next++ % tokens.length] ?? ''}`,
                  'x-original-method': ORIGINAL.method,
                  'x-original-uri': ORIGINAL.path,
                },
              }),
            },
          ],
        },
        (error: unknown, finished) => (error ? reject(error) : resolve(finished)),
      );
      instance.on('response', (_client, statusCode) => {
        if (statusCode !== 200) failed++;
      });
    });
    const seconds = (performance.now() - started) / 1000;
    const after = processStats(sidecar.server.pid);
    return {
      distinct: tokens.length,
      validations: MEMORY_VALIDATIONS,
      failed: failed + result.errors,
      seconds,
      rssReady,
      partsReady,
      rssAfter: after?.rssBytes ?? 0,
      peakRss: after?.peakRssBytes ?? 0,
      partsAfter: residentParts(sidecar.server.pid),
    };
  } finally {
    await sidecar.server.stop();
  }
}

/** `binary 39 MiB · anonymous 30 MiB · malloc 7 MiB · other 4 MiB` */
function formatParts(parts: ResidentParts | undefined): string {
  if (parts === undefined) return NONE;
  return (
    `node binary ${formatBytes(parts.nodeBinary)} · anonymous (V8 heap, stacks, arenas) ` +
    `${formatBytes(parts.anonymous)} · malloc [heap] ${formatBytes(parts.mallocHeap)} · ` +
    `libraries and files ${formatBytes(parts.other)}`
  );
}

/** Prints the sidecar tables. */
export function printSidecar(result: SidecarResult): void {
  const repeat = medianRound(
    result.grpcRounds,
    (round) => round.repeat,
    (round) => round.echo,
    (round) => round.echo.opsPerSecond,
  );
  const firstSeen = medianRound(
    result.grpcRounds,
    (round) => round.firstSeen,
    (round) => round.echo,
    (round) => serialLimit(round.echo, result.verify.result),
  );
  const auth = medianRound(
    result.httpRounds,
    (round) => round.repeat,
    (round) => round.echo,
    (round) => round.echo.opsPerSecond,
  );
  console.log('## Validation sidecar (its own process; load from this one)\n');
  const met = (ratio: number) => (ratio >= TARGET ? 'yes' : 'NO');
  const row = (name: string, measured: Measured, limit: number | undefined, server: string) => {
    const ratio = limit === undefined ? undefined : measured.opsPerSecond / limit;
    return [
      name,
      formatRate(measured.opsPerSecond),
      formatMicros(measured.p50Us),
      formatMicros(measured.p99Us),
      limit === undefined ? NONE : formatRate(limit),
      formatRatio(ratio),
      limit === undefined ? NONE : `≥ ${formatRatio(TARGET)}`,
      ratio === undefined ? NONE : met(ratio),
      formatMicros(measured.cpuUsPerCallOf.get(server)),
      formatMicros(measured.cpuUsPerCall),
    ];
  };
  const flagged = (measured: HttpMeasured) => (measured.flagged ? ' (FLAGGED)' : '');
  console.log(
    renderTable(
      [
        { header: `call (${IN_FLIGHT} in flight)` },
        { header: 'ops/s', numeric: true },
        { header: 'p50', numeric: true },
        { header: 'p99', numeric: true },
        { header: 'limit ops/s', numeric: true },
        { header: 'ratio', numeric: true },
        { header: 'target', numeric: true },
        { header: 'met' },
        { header: 'server CPU/call', numeric: true },
        { header: 'bench CPU/call', numeric: true },
      ],
      [
        row('gRPC echo (round of Check, repeat)', repeat.limitFigure, undefined, 'echo'),
        row('Check, repeat token', repeat.figure, repeat.limit, 'sidecar'),
        row('gRPC echo (round of Check, first-seen)', firstSeen.limitFigure, undefined, 'echo'),
        row('Check, first-seen tokens', firstSeen.figure, firstSeen.limit, 'sidecar'),
        row(`node:http echo${flagged(auth.limitFigure)}`, auth.limitFigure, undefined, 'http echo'),
        row(
          `auth-request, repeat token${flagged(auth.figure)}`,
          auth.figure,
          auth.limit,
          'sidecar',
        ),
      ],
    ),
  );
  const everyRatio = (median: MedianFigure<Measured>) =>
    median.ratios.map((ratio) => formatRatio(ratio)).join(', ');
  console.log(
    `\nEach figure: the median of ${ROUNDS} rounds, each round running the limit and then the figure` +
      " (every round's ratio: " +
      `Check repeat ${everyRatio(repeat)}; first-seen ${everyRatio(firstSeen)}; ` +
      `auth-request ${everyRatio(auth)}).\n` +
      'limit of Check (repeat) = the gRPC echo; of auth-request (repeat) = a bare node:http echo\n' +
      '(autocannon, same connection count); of Check (first-seen) = 1 / (gRPC echo cost + ES256 verify cost of ' +
      `${result.verify.implementation}, ${formatRate(result.verify.result.opsPerSecond)}/s).\n` +
      `First-seen: ${formatRate(result.firstSeenTaken)} checks (warm-up included) took a pool of ` +
      `${formatRate(FIRST_SEEN_POOL)} tokens in order, more than the sidecar's\n` +
      'cache of 10,000 holds, so every check verified a signature.\n',
  );

  const { memory } = result;
  const readyRows = result.ready.map(({ downMs, readyMs }) => [
    `ready after the issuer is reachable (issuer down ${(downMs / 1000).toFixed(0)} s before)`,
    `${readyMs.toFixed(0)} ms`,
    `< ${READY_TARGET_MS} ms`,
    readyMs < READY_TARGET_MS ? 'yes' : 'NO',
  ]);
  console.log(
    renderTable(
      [
        { header: 'sidecar' },
        { header: 'measured', numeric: true },
        { header: 'target', numeric: true },
        { header: 'met' },
      ],
      [
        [
          `sidecar RSS after ${formatRate(memory.validations)} validations of ${formatRate(memory.distinct)} tokens (as deployed)`,
          formatBytes(memory.rssAfter),
          `≤ ${formatBytes(MEMORY_TARGET_BYTES)}`,
          memory.rssAfter <= MEMORY_TARGET_BYTES && memory.failed === 0 ? 'yes' : 'NO',
        ],
        ['the same process: peak RSS', formatBytes(memory.peakRss), NONE, NONE],
        ['the same process once ready', formatBytes(memory.rssReady), NONE, NONE],
        [
          "the throughput figures' sidecar once ready",
          formatBytes(result.sidecarRssReady),
          NONE,
          NONE,
        ],
        [
          `sidecar process RSS after its figures (${result.sidecarDecisions === undefined ? NONE : formatRate(result.sidecarDecisions)} decisions; peak)`,
          `${formatBytes(result.sidecarRss.rssBytes)} (${formatBytes(result.sidecarRss.peakRssBytes)})`,
          `≤ ${formatBytes(MEMORY_TARGET_BYTES)}`,
          result.sidecarRss.peakRssBytes === undefined
            ? NONE
            : result.sidecarRss.peakRssBytes <= MEMORY_TARGET_BYTES
              ? 'yes'
              : 'NO',
        ],
        ...readyRows,
      ],
    ),
  );
  console.log(
    `\nEvery sidecar above runs as deployed: node ${result.runtime.nodeFlags.join(' ')}` +
      `${Object.entries(result.runtime.env)
        .map(([name, value]) => ` ${name}=${value}`)
        .join('')} (from ${SIDECAR_EXAMPLE_MANIFEST}).\n` +
      `Memory: a fresh sidecar answered ${formatRate(memory.validations)} auth-request checks of ` +
      `${formatRate(memory.distinct)} distinct tokens over its socket in ${memory.seconds.toFixed(1)} s ` +
      `(${formatRate(memory.validations / memory.seconds)}/s; ${memory.failed} not 200).\n` +
      `Resident once ready: ${formatParts(memory.partsReady)}.\n` +
      `Resident after:      ${formatParts(memory.partsAfter)}.\n` +
      'Time to ready: from the late issuer printing its listening line to /readyz 200 (polled every ' +
      `${READY_POLL_MS} ms);\nthe sidecar's streams wait for their channel, which retries the issuer with ` +
      'jittered backoff capped at SIDECAR_RECONNECT_MAX_BACKOFF_MS (500 ms by default).\n',
  );
}
