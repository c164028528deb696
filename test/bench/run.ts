/**
 * `npm run bench`: the performance targets of the README's Performance section, each figure beside a limit measured
 * in the same run on the same machine, so the ratios hold on a noisy two-core box.
 *
 * 1. raw sign and verify (jose, node:crypto) and tessera's own signer and verifier;
 * 2. a grpc-js echo in its own process, at 1 and 64 calls in flight;
 * 3. Vend and Validate against the built issuer in its own process, against
 *    1 / (echo cost + fastest raw crypto cost) at the same in-flight count;
 * 4. refresh-token rotation: the store's Lua script through ioredis from this process (the
 *    limit), then the built session service's Rotate over gRPC against
 *    1 / (echo cost + direct rotation cost), on a redis-server of the bench's own;
 * 5. Refresh through issuer → session → Redis over gRPC;
 * 6. the REST hop (rest.ts): a fastify HTTP echo, then vend, validate (repeat and first-seen
 *    tokens) and refresh through the built gateway, with autocannon as the load generator,
 *    the full refresh chain against the README's absolute target;
 * 7. RSS of every process after the run;
 * 8. the validation sidecar (sidecar.ts): Envoy Check and auth-request mode against the echoes,
 *    first-seen tokens, memory after a million validations, time to ready;
 * 9. revocation fan-out (fan-out.ts): 1,000 WatchRevocations subscribers on one session service;
 * 10. tessera beside oidc-provider (peer.ts): refresh, vend and validation through the REST
 *     gateway against the same jobs on the peer, then Vend and Rotate over the stream transport
 *     against 1 / (stream echo cost + sign or Lua cost) (stream-callers.ts), written to
 *     test/bench/results/peer.json and drawn in test/bench/results/peer.svg (the README's chart).
 *
 * BENCH_SECONDS (default 2) sets how long each figure is measured, after a warm-up of a
 * quarter of that (the peer comparison runs 5 s per run unless BENCH_SECONDS is set). Ratios
 * are reported, never enforced: the exit code only says whether the bench itself ran.
 * BENCH_ONLY=crypto,servers,sidecar,fanout,peer selects parts (all by default).
 * BENCH_PROFILE=vend|vend-stream|refresh|rotate|gateway replaces all of this with a CPU profile
 * of the servers under one load (see profile.ts).
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { issuerV1, sessionV1 } from '@tessera/contracts';
import { createChannelOptions, credentialsMetadata, unaryCall } from '@tessera/grpc-runtime';
import { processStats } from './children.js';
import { EchoServiceClient } from './echo-service.js';
import { printFanOut, runFanOut } from './fan-out.js';
import type { Operation } from './load.js';
import { type Measured, measure, serialLimit, type Timing, type Watched } from './measure.js';
import {
  DEFAULT_SECONDS as PEER_DEFAULT_SECONDS,
  printPeer,
  runPeer,
  writePeerResults,
} from './peer.js';
import { PROFILE_MODES, type ProfileMode, runProfile } from './profile.js';
import { type BenchAlgorithm, type CryptoCase, createCryptoCases } from './raw-crypto.js';
import { startDirectChains, startIssuerChains, startSessionChains } from './refresh-chains.js';
import { formatBytes, formatMicros, formatRate, formatRatio, NONE, renderTable } from './report.js';
import { createRestWorkloads, measureRest, printRest, REFRESH_TARGET } from './rest.js';
import { printSidecar, runSidecar } from './sidecar.js';
import { type BenchStack, startStack } from './stack.js';
import { createStreamTransportBench } from './stream-callers.js';
import { benchVendRequest } from './vend-request.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where figures that the README shows are written. */
const RESULTS_DIR = fileURLToPath(new URL('./results', import.meta.url));
const IN_FLIGHT = [1, 64] as const;
/** The parts BENCH_ONLY selects from. */
const BENCH_PARTS = ['crypto', 'servers', 'sidecar', 'fanout', 'peer'] as const;
type BenchPart = (typeof BENCH_PARTS)[number];
/** README, Performance: Vend, first-seen Validate and Rotate reach at least 70% of their limit. */
const TARGET = 0.7;
const DEADLINE_MS = 10_000;
/** Distinct tokens Validate cycles through, so no token is a hot repeat. */
const TOKEN_POOL_SIZE = 256;
/** About a Vend request and a little under its response, so the echo moves similar bytes. */
const ECHO_PAYLOAD = Buffer.alloc(256, 'e');

const THROUGHPUT_COLUMNS = [
  { header: 'call' },
  { header: 'in flight', numeric: true },
  { header: 'ops/s', numeric: true },
  { header: 'p50', numeric: true },
  { header: 'p99', numeric: true },
] as const;

const RATIO_COLUMNS = [
  { header: 'limit ops/s', numeric: true },
  { header: 'ratio', numeric: true },
  { header: 'target', numeric: true },
  { header: 'met' },
] as const;

const seconds = readBenchSeconds();
const timing: Timing = { seconds, warmupSeconds: Math.max(0.2, seconds / 4) };
const peerSeconds = process.env.BENCH_SECONDS ? seconds : PEER_DEFAULT_SECONDS;
const peerTiming: Timing = { seconds: peerSeconds, warmupSeconds: Math.max(0.2, peerSeconds / 4) };
const profileMode = readProfileMode();
const startedAt = performance.now();

console.log(
  `tessera bench: Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${availableParallelism()}, ` +
    `${seconds} s per figure after ${timing.warmupSeconds} s of warm-up (BENCH_SECONDS); ` +
    `${loadLine()}\n`,
);

if (profileMode === undefined) {
  const only = readOnly();
  const crypto = only.has('crypto') || only.has('servers') ? await measureCrypto() : undefined;
  if (crypto !== undefined) printCrypto(crypto);
  if (only.has('servers') || only.has('sidecar') || only.has('peer')) {
    const stack = await startStack({ root: ROOT });
    try {
      if (crypto !== undefined && only.has('servers')) await measureServers(crypto, stack);
      if (only.has('sidecar')) {
        printSidecar(
          await runSidecar({
            root: ROOT,
            stack,
            timing,
            deadlineMs: DEADLINE_MS,
            verify: crypto === undefined ? undefined : fastestRaw(crypto, 'ES256', 'verify'),
          }),
        );
      }
      if (only.has('peer')) {
        const result = await runPeer({
          root: ROOT,
          stack,
          timing: peerTiming,
          deadlineMs: DEADLINE_MS,
          // gRPC callers over the stream transport (peer.ts, StreamTransportBench).
          streamTransport: createStreamTransportBench({ root: ROOT }),
        });
        printPeer(result);
        for (const file of writePeerResults(result, RESULTS_DIR)) console.log(`wrote ${file}`);
      }
    } finally {
      await stack.stop();
    }
  }
  if (only.has('fanout')) printFanOut(await runFanOut({ root: ROOT, deadlineMs: DEADLINE_MS }));
} else {
  await runProfile(profileMode, { root: ROOT, timing, deadlineMs: DEADLINE_MS });
}
console.log(
  `\nfinished in ${((performance.now() - startedAt) / 1000).toFixed(1)} s; ${loadLine()}`,
);

/** Other work on the machine skews every figure; the load average says how much there was. */
function loadLine(): string {
  return `load average ${loadavg()[0]?.toFixed(2) ?? NONE} (1 min)`;
}

function readBenchSeconds(): number {
  const raw = process.env.BENCH_SECONDS;
  if (raw === undefined || raw === '') return 2;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 60) {
    throw new Error(`BENCH_SECONDS must be a number of seconds in (0, 60], got "${raw}"`);
  }
  return value;
}

/**
 * BENCH_ONLY: a comma-separated selection of the bench's parts (every part when unset):
 * `crypto` (raw crypto), `servers` (gRPC and REST figures; measures crypto too, its limits),
 * `sidecar` (the validation sidecar), `fanout` (1,000 WatchRevocations subscribers), `peer`
 * (tessera beside oidc-provider, peer.ts).
 */
function readOnly(): ReadonlySet<BenchPart> {
  const raw = process.env.BENCH_ONLY;
  if (raw === undefined || raw.trim() === '') return new Set(BENCH_PARTS);
  const parts = new Set<BenchPart>();
  for (const name of raw.split(',').map((part) => part.trim())) {
    const part = BENCH_PARTS.find((candidate) => candidate === name);
    if (part === undefined) {
      throw new Error(`BENCH_ONLY lists parts of ${BENCH_PARTS.join(', ')}, got "${name}"`);
    }
    parts.add(part);
  }
  return parts;
}

function readProfileMode(): ProfileMode | undefined {
  const raw = process.env.BENCH_PROFILE;
  if (raw === undefined || raw === '') return undefined;
  const mode = PROFILE_MODES.find((candidate) => candidate === raw);
  if (mode === undefined) {
    throw new Error(`BENCH_PROFILE must be one of ${PROFILE_MODES.join(', ')}, got "${raw}"`);
  }
  return mode;
}

interface CryptoResult extends CryptoCase {
  readonly result: Measured;
}

async function measureCrypto(): Promise<CryptoResult[]> {
  const results: CryptoResult[] = [];
  for (const cryptoCase of await createCryptoCases()) {
    const label = `${cryptoCase.alg} ${cryptoCase.op} (${cryptoCase.implementation})`;
    results.push({ ...cryptoCase, result: await measure(timing, label, cryptoCase.run, 1) });
  }
  return results;
}

/** The fastest raw implementation of `op` for `alg`: the limit tessera code is held to. */
function fastestRaw(
  crypto: readonly CryptoResult[],
  alg: BenchAlgorithm,
  op: CryptoCase['op'],
): CryptoResult {
  const raw = crypto.filter((entry) => entry.alg === alg && entry.op === op && entry.raw);
  const best = raw.reduce<CryptoResult | undefined>(
    (fastest, entry) =>
      fastest === undefined || entry.result.opsPerSecond > fastest.result.opsPerSecond
        ? entry
        : fastest,
    undefined,
  );
  if (best === undefined) throw new Error(`no raw ${alg} ${op} was measured`);
  return best;
}

function printCrypto(crypto: readonly CryptoResult[]): void {
  console.log('## Raw crypto (one call at a time, in this process)\n');
  const rows = crypto.map((entry) => [
    entry.alg,
    entry.op,
    entry.implementation,
    formatRate(entry.result.opsPerSecond),
    formatMicros(entry.result.p50Us),
    formatMicros(entry.result.p99Us),
    formatRatio(
      entry.result.opsPerSecond / fastestRaw(crypto, entry.alg, entry.op).result.opsPerSecond,
    ),
    formatMicros(entry.result.cpuUsPerCall),
  ]);
  console.log(
    renderTable(
      [
        { header: 'alg' },
        { header: 'op' },
        { header: 'implementation' },
        { header: 'ops/s', numeric: true },
        { header: 'p50', numeric: true },
        { header: 'p99', numeric: true },
        { header: 'vs fastest raw', numeric: true },
        { header: 'CPU/op', numeric: true },
      ],
      rows,
    ),
  );
  console.log(
    '\nCPU/op counts every thread of this process: jose works through WebCrypto, whose jobs\n' +
      'run on the libuv thread pool, so its CPU/op can exceed its wall time per op.\n',
  );
}

/** The figures of one in-flight count, all measured back to back. */
interface Round {
  readonly inFlight: number;
  readonly echo: Measured;
  readonly vend: Measured;
  readonly validate: Measured;
  readonly directRotate: Measured;
  readonly rotate: Measured;
  readonly refresh: Measured;
}

async function measureServers(crypto: readonly CryptoResult[], stack: BenchStack): Promise<void> {
  const { realm } = stack;
  // One long-lived channel per server, as tessera's own clients keep them.
  const echoClient = new EchoServiceClient(
    `127.0.0.1:${stack.echo.port}`,
    credentials.createInsecure(),
    createChannelOptions(),
  );
  const issuerClient = new issuerV1.IssuerServiceClient(
    `127.0.0.1:${stack.issuer.port}`,
    credentials.createInsecure(),
    createChannelOptions(),
  );
  const sessionClient = new sessionV1.SessionServiceClient(
    `127.0.0.1:${stack.session.port}`,
    credentials.createInsecure(),
    createChannelOptions(),
  );
  let closeDirect = async () => {};
  try {
    const echo: Operation = () =>
      unaryCall(echoClient.echo.bind(echoClient), ECHO_PAYLOAD, { deadlineMs: DEADLINE_MS });
    const vendRequest = benchVendRequest(realm.tenantA);
    const vend = () =>
      unaryCall(issuerClient.vend.bind(issuerClient), vendRequest, {
        deadlineMs: DEADLINE_MS,
        metadata: credentialsMetadata(realm.keys.admin),
      });
    const tokens = await Promise.all(
      Array.from({ length: TOKEN_POOL_SIZE }, async () => (await vend()).token),
    );
    // The ratios below compare with ES256 crypto; tenant A must really sign with ES256.
    const alg = headerAlg(tokens[0] ?? '');
    if (alg !== 'ES256') throw new Error(`tenant A signs with ${alg}, expected ES256`);
    let nextToken = 0;
    const validate = async () => {
      const token = tokens[nextToken++ % tokens.length] ?? '';
      const response = await unaryCall(
        issuerClient.validate.bind(issuerClient),
        { tenantId: realm.tenantA, token, audience: '' },
        { deadlineMs: DEADLINE_MS, metadata: credentialsMetadata(realm.keys.admin) },
      );
      if (!response.valid) throw new Error(`Validate refused a fresh token (${response.reason})`);
    };

    const chains = { realm, clients: Math.max(...IN_FLIGHT), deadlineMs: DEADLINE_MS };
    const direct = await startDirectChains({
      ...chains,
      redisUrl: stack.redis.url,
      pepper: stack.pepper,
    });
    closeDirect = direct.close;
    const sessionChains = await startSessionChains({
      ...chains,
      client: sessionClient,
      apiKey: stack.sessionApiKey,
    });
    const issuerChains = await startIssuerChains({
      ...chains,
      client: issuerClient,
      apiKey: realm.keys.admin,
      directory: sessionClient,
      directoryApiKey: stack.sessionApiKey,
    });

    const watch = {
      echo: { name: 'echo', pid: stack.echo.pid },
      issuer: { name: 'issuer', pid: stack.issuer.pid },
      session: { name: 'session', pid: stack.session.pid },
      redis: { name: 'redis', pid: stack.redis.pid },
    } satisfies Record<string, Watched>;
    const rounds: Round[] = [];
    for (const inFlight of IN_FLIGHT) {
      // Back to back, so every ratio's limit is measured under the same load from elsewhere.
      rounds.push({
        inFlight,
        echo: await measure(timing, 'gRPC echo', echo, inFlight, [watch.echo]),
        vend: await measure(timing, 'Vend ES256', vend, inFlight, [watch.issuer]),
        validate: await measure(timing, 'Validate ES256', validate, inFlight, [watch.issuer]),
        directRotate: await measure(timing, 'Lua rotate via ioredis', direct.rotate, inFlight, [
          watch.redis,
        ]),
        rotate: await measure(timing, 'session Rotate', sessionChains.rotate, inFlight, [
          watch.session,
          watch.redis,
        ]),
        refresh: await measure(timing, 'issuer Refresh', issuerChains.rotate, inFlight, [
          watch.issuer,
          watch.session,
          watch.redis,
        ]),
      });
    }
    const sign = fastestRaw(crypto, 'ES256', 'sign');
    const verify = fastestRaw(crypto, 'ES256', 'verify');
    printServers(rounds, sign, verify);
    printRotation(rounds);
    printRefresh(rounds, sign);

    const rest = await createRestWorkloads({
      stack,
      issuerClient,
      sessionClient,
      deadlineMs: DEADLINE_MS,
    });
    const restRounds = await measureRest(rest, stack, timing, IN_FLIGHT);
    printRest(
      restRounds,
      {
        sign: { label: sign.implementation, result: sign.result },
        verify: { label: verify.implementation, result: verify.result },
        grpcAt: (inFlight) => rounds.find((round) => round.inFlight === inFlight),
      },
      rest,
    );
    printMemory([
      ['gateway', stack.gateway.pid],
      ['issuer', stack.issuer.pid],
      ['session', stack.session.pid],
      ['redis-server', stack.redis.pid],
      ['echo server (under tsx)', stack.echo.pid],
      ['HTTP echo server (under tsx)', stack.httpEcho.pid],
      ['bench (load generator)', process.pid],
    ]);
  } finally {
    echoClient.close();
    issuerClient.close();
    sessionClient.close();
    await closeDirect();
  }
}

function cpuOf(measured: Measured, name: string): string {
  return formatMicros(measured.cpuUsPerCallOf.get(name));
}

function ratioCells(measured: Measured, limit: number | undefined): string[] {
  const ratio = limit === undefined ? undefined : measured.opsPerSecond / limit;
  return [
    limit === undefined ? NONE : formatRate(limit),
    formatRatio(ratio),
    limit === undefined ? NONE : `≥ ${formatRatio(TARGET)}`,
    ratio === undefined ? NONE : ratio >= TARGET ? 'yes' : 'NO',
  ];
}

function throughputCells(name: string, measured: Measured): string[] {
  return [
    name,
    String(measured.inFlight),
    formatRate(measured.opsPerSecond),
    formatMicros(measured.p50Us),
    formatMicros(measured.p99Us),
  ];
}

function printServers(rounds: readonly Round[], sign: CryptoResult, verify: CryptoResult): void {
  console.log('## gRPC (servers in their own processes, load from this one)\n');
  const row = (name: string, measured: Measured, server: string, limit?: number) => [
    ...throughputCells(name, measured),
    ...ratioCells(measured, limit),
    cpuOf(measured, server),
    formatMicros(measured.cpuUsPerCall),
  ];
  const rows = rounds.flatMap((round) => [
    row('gRPC echo', round.echo, 'echo'),
    row('Vend', round.vend, 'issuer', serialLimit(round.echo, sign.result)),
    row('Validate', round.validate, 'issuer', serialLimit(round.echo, verify.result)),
  ]);
  console.log(
    renderTable(
      [
        ...THROUGHPUT_COLUMNS,
        ...RATIO_COLUMNS,
        { header: 'server CPU/call', numeric: true },
        { header: 'bench CPU/call', numeric: true },
      ],
      rows,
    ),
  );
  console.log(
    `\nlimit of Vend = 1 / (echo cost + ES256 sign cost of ${sign.implementation}, ` +
      `${formatRate(sign.result.opsPerSecond)}/s)\n` +
      `limit of Validate = 1 / (echo cost + ES256 verify cost of ${verify.implementation}, ` +
      `${formatRate(verify.result.opsPerSecond)}/s)\n` +
      'costs are 1 / throughput at the same in-flight count; Validate cycles through ' +
      `${TOKEN_POOL_SIZE} distinct tokens.\n` +
      'When bench CPU/call is the larger CPU figure, the load generator, not the server, set the pace.\n',
  );
}

function printRotation(rounds: readonly Round[]): void {
  console.log('## Refresh-token rotation (OneTimeUse, one chain per virtual client)\n');
  const rows = rounds.flatMap((round) => [
    [
      ...throughputCells('Lua rotate via ioredis', round.directRotate),
      ...ratioCells(round.directRotate, undefined),
      NONE,
      cpuOf(round.directRotate, 'redis'),
      formatMicros(round.directRotate.cpuUsPerCall),
    ],
    [
      ...throughputCells('session Rotate', round.rotate),
      ...ratioCells(round.rotate, serialLimit(round.echo, round.directRotate)),
      cpuOf(round.rotate, 'session'),
      cpuOf(round.rotate, 'redis'),
      formatMicros(round.rotate.cpuUsPerCall),
    ],
  ]);
  console.log(
    renderTable(
      [
        ...THROUGHPUT_COLUMNS,
        ...RATIO_COLUMNS,
        { header: 'session CPU/call', numeric: true },
        { header: 'redis CPU/call', numeric: true },
        { header: 'bench CPU/call', numeric: true },
      ],
      rows,
    ),
  );
  console.log(
    '\nLua rotate via ioredis: RedisRefreshTokenStore.rotate in this process (token parse, three\n' +
      "HMACs, the script by EVALSHA, the reply's decoding) on the session service's client settings;\n" +
      'its bench CPU/call is what the session service spends on Redis work per Rotate.\n' +
      'limit of Rotate = 1 / (gRPC echo cost + Lua rotate cost) at the same in-flight count.\n',
  );
}

function printRefresh(rounds: readonly Round[], sign: CryptoResult): void {
  console.log('## Refresh through issuer → session → Redis\n');
  const rows = rounds.map((round) => {
    const { refresh } = round;
    // Two gRPC hops, one rotation, one signature: what the chain would cost with no code of
    // its own, for orientation only (the processes share two cores, so costs overlap).
    const ceiling = serialLimit(round.echo, round.echo, round.directRotate, sign.result);
    return [
      ...throughputCells('issuer Refresh', refresh),
      formatRate(ceiling),
      formatRatio(refresh.opsPerSecond / ceiling),
      cpuOf(refresh, 'issuer'),
      cpuOf(refresh, 'session'),
      cpuOf(refresh, 'redis'),
      formatMicros(refresh.cpuUsPerCall),
    ];
  });
  console.log(
    renderTable(
      [
        ...THROUGHPUT_COLUMNS,
        { header: 'ceiling ops/s', numeric: true },
        { header: 'vs ceiling', numeric: true },
        { header: 'issuer CPU/call', numeric: true },
        { header: 'session CPU/call', numeric: true },
        { header: 'redis CPU/call', numeric: true },
        { header: 'bench CPU/call', numeric: true },
      ],
      rows,
    ),
  );
  console.log(
    `\nThe chain without its REST hop; the README's target (≥ ${formatRate(REFRESH_TARGET)} refreshes/s) is for the\n` +
      'whole chain, gateway → issuer → session → Redis, and is judged in the REST table below.\n' +
      'ceiling = 1 / (2 × gRPC echo cost + Lua rotate cost + ES256 sign cost), for orientation.\n' +
      'Each Refresh rotates the virtual client’s own OneTimeUse token and signs an access token.\n',
  );
}

function printMemory(processes: readonly (readonly [name: string, pid: number])[]): void {
  console.log('## Memory after the run\n');
  const rows = processes.map(([name, pid]) => {
    const stats = processStats(pid);
    const rss = stats?.rssBytes ?? (pid === process.pid ? process.memoryUsage().rss : undefined);
    return [name, formatBytes(rss), formatBytes(stats?.peakRssBytes)];
  });
  console.log(
    renderTable(
      [
        { header: 'process' },
        { header: 'RSS', numeric: true },
        { header: 'peak RSS', numeric: true },
      ],
      rows,
    ),
  );
}

function headerAlg(token: string): unknown {
  const header: unknown = JSON.parse(
    Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'),
  );
  return typeof header === 'object' && header !== null && 'alg' in header ? header.alg : undefined;
}
