/**
 * The validation sidecar (the built one, in its own process, fed by the stack's issuer and
 * session service), each figure beside a limit measured in the same run:
 *
 * - Envoy `Check`, one repeated token, 64 in flight, against the bare grpc-js echo at 64;
 * - auth-request mode (`GET /auth` as nginx sends it), one repeated token, against the fastify
 *   HTTP echo, both with autocannon at 64 connections;
 * - `Check` with first-seen tokens (a pool larger than the sidecar's cache, vended before),
 *   against 1 / (gRPC echo cost + raw ES256 verify cost);
 * - memory: RSS after 1,000,000 validations of 10,000 distinct tokens by the sidecar's
 *   validator in a process of its own (sidecar-memory.ts, bundled: in process, not over a
 *   socket, so it takes seconds rather than minutes), and the real sidecar's RSS before and
 *   after its figures;
 * - time to ready: a sidecar started while its issuer is down, the issuer started after a
 *   while, and the time from the issuer listening to the sidecar's `/readyz` answering 200.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { credentials } from '@grpc/grpc-js';
import { envoyAuthV3, issuerV1 } from '@tessera/contracts';
import { createChannelOptions, type UnaryMethod, unaryCall } from '@tessera/grpc-runtime';
import { build } from 'esbuild';
import { type ChildServer, onExit, processStats, startChildServer } from './children.js';
import { EchoServiceClient } from './echo-service.js';
import { type HttpMeasured, type HttpTarget, measureHttp } from './http-load.js';
import type { LoadResult } from './load.js';
import { type Measured, measure, serialLimit, type Timing } from './measure.js';
import { createCryptoCases } from './raw-crypto.js';
import { formatBytes, formatMicros, formatRate, formatRatio, NONE, renderTable } from './report.js';
import { vendPool } from './rest.js';
import type { BenchStack } from './stack.js';

/** README, Performance: each sidecar figure reaches at least 70% of its limit. */
const TARGET = 0.7;
/** README, Performance: the sidecar's RSS after a million validations of 10,000 tokens. */
const MEMORY_TARGET_BYTES = 80 * 1024 * 1024;
/** README, Performance: ready this long after the issuer becomes reachable. */
const READY_TARGET_MS = 1_000;
const IN_FLIGHT = 64;
/** Distinct tokens of the first-seen figure: more than the sidecar's cache (10,000). */
const FIRST_SEEN_POOL = 12_000;
const MEMORY_DISTINCT = 10_000;
const MEMORY_VALIDATIONS = 1_000_000;
/**
 * V8 grows its heap before it collects, so an uncapped process's RSS says more about V8's
 * defaults on this machine than about what the validator keeps; with the old space capped (as
 * `NODE_OPTIONS=--max-old-space-size=N` in a container would) it collects sooner.
 */
const HEAP_CAP_MIB = 40;
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
  readonly grpcEcho: Measured;
  readonly checkRepeat: Measured;
  readonly checkFirstSeen: Measured;
  readonly httpEcho: HttpMeasured;
  readonly authRepeat: HttpMeasured;
  readonly verify: { readonly implementation: string; readonly result: LoadResult };
  readonly firstSeenTaken: number;
  readonly memory: MemoryFigure;
  /** The same figure with the old-space heap capped at {@link HEAP_CAP_MIB} MiB. */
  readonly memoryCapped: MemoryFigure;
  readonly sidecarRss: { readonly rssBytes?: number; readonly peakRssBytes?: number };
  /** The sidecar's RSS once ready, before any figure. */
  readonly sidecarRssReady: number | undefined;
  readonly sidecarDecisions: number | undefined;
  readonly ready: readonly { readonly downMs: number; readonly readyMs: number }[];
}

interface MemoryFigure {
  readonly distinct: number;
  readonly validations: number;
  readonly refused: number;
  readonly seconds: number;
  readonly rssReady: number;
  readonly rssAfter: number;
  readonly heapUsed: number;
  readonly rssAfterGc: number;
  readonly heapUsedAfterGc: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
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

    const sidecar = await startSidecar(root, stack, `127.0.0.1:${stack.issuer.port}`);
    stops.push(() => sidecar.server.stop());
    await waitUntilReady(sidecar.httpPort, 30_000);
    const sidecarRssReady = processStats(sidecar.server.pid)?.rssBytes;
    const envoy = new envoyAuthV3.AuthorizationClient(
      `127.0.0.1:${sidecar.grpcPort}`,
      credentials.createInsecure(),
      createChannelOptions(),
    );
    stops.push(async () => envoy.close());
    const checkMethod = (
      envoy.check as UnaryMethod<envoyAuthV3.CheckRequest, envoyAuthV3.CheckResponse>
    ).bind(envoy);
    const check = async (token: string) => {
      const response = await unaryCall(checkMethod, checkRequest(token), { deadlineMs });
      if (response.status?.code !== 0) {
        throw new Error(`the sidecar denied a fresh token (status ${response.status?.code})`);
      }
    };
    await check(repeatToken);

    const watchEcho = [{ name: 'echo', pid: stack.echo.pid }];
    const watchSidecar = [{ name: 'sidecar', pid: sidecar.server.pid }];
    const grpcEcho = await measure(
      timing,
      'gRPC echo',
      () => unaryCall(echoClient.echo.bind(echoClient), ECHO_PAYLOAD, { deadlineMs }),
      IN_FLIGHT,
      watchEcho,
    );
    const checkRepeat = await measure(
      timing,
      'sidecar Check (repeat token)',
      () => check(repeatToken),
      IN_FLIGHT,
      watchSidecar,
    );
    let taken = 0;
    const checkFirstSeen = await measure(
      timing,
      'sidecar Check (first-seen tokens)',
      () => check(pool[taken++ % pool.length] ?? ''),
      IN_FLIGHT,
      watchSidecar,
    );

    const bearer = { authorization: `Bearer ${repeatToken}` };
    const httpEcho = await measureHttp(
      timing,
      'HTTP echo',
      { origin: `http://127.0.0.1:${stack.httpEcho.port}` },
      () => ({ path: '/echo', headers: bearer }),
      IN_FLIGHT,
      [{ name: 'http echo', pid: stack.httpEcho.pid }],
    );
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
    const authRepeat = await measureHttp(
      timing,
      'sidecar auth-request (repeat token)',
      sidecarHttp,
      () => ({ path: '/auth', headers: authHeaders }),
      IN_FLIGHT,
      watchSidecar,
    );
    const sidecarDecisions = await decisionsServed(sidecar.httpPort);
    const stats = processStats(sidecar.server.pid);
    const sidecarRss = {
      ...(stats?.rssBytes === undefined ? {} : { rssBytes: stats.rssBytes }),
      ...(stats?.peakRssBytes === undefined ? {} : { peakRssBytes: stats.peakRssBytes }),
    };
    await sidecar.server.stop();

    const memory = await measureMemory(root, stack, pool.slice(0, MEMORY_DISTINCT), []);
    const memoryCapped = await measureMemory(root, stack, pool.slice(0, MEMORY_DISTINCT), [
      `--max-old-space-size=${HEAP_CAP_MIB}`,
    ]);
    const ready: { downMs: number; readyMs: number }[] = [];
    for (const downMs of ISSUER_DOWN_MS) {
      ready.push({ downMs, readyMs: await measureReady(root, stack, downMs) });
    }
    return {
      grpcEcho,
      checkRepeat,
      checkFirstSeen,
      httpEcho,
      authRepeat,
      verify,
      firstSeenTaken: taken,
      memory,
      memoryCapped,
      sidecarRss,
      sidecarRssReady,
      sidecarDecisions,
      ready,
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

function checkRequest(token: string): envoyAuthV3.CheckRequest {
  return envoyAuthV3.CheckRequest.fromPartial({
    attributes: {
      request: {
        http: {
          method: ORIGINAL.method,
          path: ORIGINAL.path,
          headers: {
            ':method': ORIGINAL.method,
            ':path': ORIGINAL.path,
            authorization: `Bearer ${token}`,
          },
        },
      },
    },
  });
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

/** Starts the built sidecar against the stack's session service and `issuerAddress`. */
async function startSidecar(
  root: string,
  stack: BenchStack,
  issuerAddress: string,
): Promise<SidecarProcess> {
  let httpPort: number | undefined;
  const server = await startChildServer('sidecar', ['services/sidecar/dist/main.js'], {
    cwd: root,
    env: {
      ...process.env,
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
async function measureReady(root: string, stack: BenchStack, downMs: number): Promise<number> {
  process.stderr.write(`sidecar: time to ready after the issuer was down ${downMs} ms…\n`);
  const port = await freePort();
  const sidecar = await startSidecar(root, stack, `127.0.0.1:${port}`);
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

/**
 * Bundles sidecar-memory.ts as `npm run build` bundles the services (workspace packages compiled
 * in, npm packages from node_modules), so its RSS is that of plain node running the validator,
 * with no TypeScript loader in the process. The bundle goes under node_modules/.cache, from
 * where its npm imports resolve to the repository's node_modules.
 */
async function bundleMemoryProcess(root: string): Promise<string> {
  const outfile = join(root, 'node_modules', '.cache', 'tessera-bench', 'sidecar-memory.mjs');
  await build({
    absWorkingDir: root,
    entryPoints: ['test/bench/sidecar-memory.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    conditions: ['tessera-source'],
    plugins: [
      {
        name: 'external-npm-packages',
        setup(pluginBuild) {
          pluginBuild.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@tessera/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  return outfile;
}

/** Runs sidecar-memory.ts (bundled) over `tokens` and returns what it printed. */
async function measureMemory(
  root: string,
  stack: BenchStack,
  tokens: readonly string[],
  nodeFlags: readonly string[],
): Promise<MemoryFigure> {
  process.stderr.write(
    `sidecar: ${formatRate(MEMORY_VALIDATIONS)} validations of ${formatRate(tokens.length)} tokens…\n`,
  );
  const folder = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const forget = onExit(() => rmSync(folder, { recursive: true, force: true }));
  try {
    const file = join(folder, 'tokens.json');
    writeFileSync(file, JSON.stringify(tokens));
    const script = await bundleMemoryProcess(root);
    const child = spawn(process.execPath, ['--expose-gc', ...nodeFlags, script], {
      cwd: root,
      env: {
        ...process.env,
        MEMORY_TOKENS_FILE: file,
        MEMORY_VALIDATIONS: String(MEMORY_VALIDATIONS),
        TESSERA_CONFIG: stack.realm.realmFile,
        ISSUER_ADDRESS: `127.0.0.1:${stack.issuer.port}`,
        SESSION_ADDRESS: `127.0.0.1:${stack.session.port}`,
        SIDECAR_API_KEY: stack.realm.keys.plain,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    const lines: string[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    const last = lines.findLast((line) => line.startsWith('{'));
    if (code !== 0 || last === undefined) {
      throw new Error(`the memory figure's process failed (exit ${code})`);
    }
    return JSON.parse(last) as MemoryFigure;
  } finally {
    rmSync(folder, { recursive: true, force: true });
    forget();
  }
}

/** Prints the sidecar tables. */
export function printSidecar(result: SidecarResult): void {
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
        row('gRPC echo', result.grpcEcho, undefined, 'echo'),
        row('Check, repeat token', result.checkRepeat, result.grpcEcho.opsPerSecond, 'sidecar'),
        row(
          'Check, first-seen tokens',
          result.checkFirstSeen,
          serialLimit(result.grpcEcho, result.verify.result),
          'sidecar',
        ),
        row(`HTTP echo${flagged(result.httpEcho)}`, result.httpEcho, undefined, 'http echo'),
        row(
          `auth-request, repeat token${flagged(result.authRepeat)}`,
          result.authRepeat,
          result.httpEcho.opsPerSecond,
          'sidecar',
        ),
      ],
    ),
  );
  console.log(
    '\nlimit of Check (repeat) = the gRPC echo; of auth-request (repeat) = the HTTP echo (autocannon,\n' +
      'same connection count); of Check (first-seen) = 1 / (gRPC echo cost + ES256 verify cost of ' +
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
          `validator RSS after ${formatRate(memory.validations)} validations of ${formatRate(memory.distinct)} tokens`,
          formatBytes(memory.rssAfter),
          `≤ ${formatBytes(MEMORY_TARGET_BYTES)}`,
          memory.rssAfter <= MEMORY_TARGET_BYTES ? 'yes' : 'NO',
        ],
        [
          `the same, old space capped at ${HEAP_CAP_MIB} MiB (--max-old-space-size)`,
          formatBytes(result.memoryCapped.rssAfter),
          `≤ ${formatBytes(MEMORY_TARGET_BYTES)}`,
          result.memoryCapped.rssAfter <= MEMORY_TARGET_BYTES ? 'yes' : 'NO',
        ],
        [
          'the same process (uncapped) after a full garbage collection',
          formatBytes(memory.rssAfterGc),
          `≤ ${formatBytes(MEMORY_TARGET_BYTES)}`,
          memory.rssAfterGc <= MEMORY_TARGET_BYTES ? 'yes' : 'NO',
        ],
        [
          'the same process once keys and revocations were in',
          formatBytes(memory.rssReady),
          NONE,
          NONE,
        ],
        ['sidecar process RSS once ready', formatBytes(result.sidecarRssReady), NONE, NONE],
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
    `\nThe memory figure runs the sidecar's validator (@tessera/local-validation, cache of 10,000) in a\n` +
      `process of its own (bundled, plain node), in process rather than over a socket: ${formatRate(memory.validations)} ` +
      `validations in ${memory.seconds.toFixed(1)} s,\n` +
      `${formatRate(memory.cacheMisses)} verified, ${formatRate(memory.cacheHits)} from the cache, ` +
      `${memory.refused} refused; heap used ${formatBytes(memory.heapUsed)}, ` +
      `${formatBytes(memory.heapUsedAfterGc)} after a full collection.\n` +
      'Time to ready: from the late issuer printing its listening line to /readyz 200 (polled every ' +
      `${READY_POLL_MS} ms);\nthe sidecar retries WatchKeys with capped, jittered exponential backoff, ` +
      'so the longer the issuer was down, the longer the wait for the next attempt.\n',
  );
}
