/**
 * `BENCH_ONLY=peer`: tessera beside the best-known single-process Node token server, in one
 * run on one machine. tessera is the stack `npm start` runs (the built gateway, issuer and
 * session service, each in its own process, on a redis-server), loaded through its REST
 * gateway; the peer is oidc-provider in one process with an in-memory store (peer-server.ts).
 * The same load generator drives both (autocannon, {@link CONNECTIONS} connections, http-load.ts).
 *
 * | figure | tessera | peer |
 * |---|---|---|
 * | refresh with rotation | `POST /api/jwt/refresh`, a OneTimeUse chain per connection | `POST /token` `refresh_token`, rotation on, a chain per connection |
 * | vend | `POST /api/jwt/vend` (ES256) | `POST /token` `client_credentials` with a resource indicator (ES256 JWT) |
 * | validate, repeated token | `GET /api/jwt/validate`, one token | `POST /token/introspection`, one opaque token |
 * | validate, first-seen token | the same, each request a token never seen | the same, each request a token never introspected |
 *
 * Each figure is measured {@link REPETITIONS} times per side, the two sides interleaved (and
 * their order swapped every repetition) so that both see the same machine; each run has its
 * warm-up; the run with the median throughput is reported, with its p99 and the CPU time every
 * server process spent per request (from /proc): gateway + issuer + session + Redis for
 * tessera, the one process for the peer.
 *
 * Output: a printed table, `test/bench/results/peer.json` and `test/bench/results/peer.svg`
 * (peer-chart.ts), which the README shows.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { issuerV1, sessionV1 } from '@tessera/contracts';
import { createChannelOptions } from '@tessera/grpc-runtime';
import type autocannon from 'autocannon';
import { type ChildServer, startChildServer } from './children.js';
import { type HttpMeasured, type HttpTarget, type HttpWorkload, measureHttp } from './http-load.js';
import type { Timing, Watched } from './measure.js';
import { type Chart, type ChartFigure, renderChart } from './peer-chart.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  INTROSPECTION_PATH,
  RESOURCE,
  SCOPE,
  SEED_PATH,
  TOKEN_PATH,
} from './peer-contract.js';
import { formatMicros, formatRate, formatRatio, renderTable } from './report.js';
import { createRestWorkloads } from './rest.js';
import type { BenchStack } from './stack.js';

/** Requests in flight on each side: autocannon connections, one request each at a time. */
export const CONNECTIONS = 64;
/** Runs per figure and side; the median is reported. */
export const REPETITIONS = 3;
/** Seconds per run when BENCH_SECONDS does not say otherwise. */
export const DEFAULT_SECONDS = 5;
/** Concurrent requests while the peer's first-seen pool is minted. */
const POOL_MINT_CONCURRENCY = 64;

/** The operations compared, and what tessera must reach against the peer on each. */
export const OPERATIONS = [
  {
    id: 'refresh',
    label: 'Refresh with rotation',
    peerCall: 'POST /token refresh_token (rotation on)',
    targetRatio: 1.3,
    // Over all of tessera's processes: gateway, issuer, session service, Redis.
    maxCpuUsPerRequest: 370,
  },
  {
    id: 'vend',
    label: 'Vend (ES256)',
    peerCall: 'POST /token client_credentials (ES256 JWT)',
    targetRatio: 1.5,
  },
  {
    id: 'validate-repeat',
    label: 'Validate, repeated token',
    peerCall: 'POST /token/introspection',
    targetRatio: 3,
  },
  {
    id: 'validate-first-seen',
    label: 'Validate, first-seen token',
    peerCall: 'POST /token/introspection',
    targetRatio: 1.5,
  },
] as const;

export type OperationId = (typeof OPERATIONS)[number]['id'];

/** One side of one figure: the median run, and every run's throughput. */
export interface SideFigure {
  readonly opsPerSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** CPU µs per request over every server process of the side. */
  readonly cpuUsPerRequest: number;
  readonly cpuUsPerRequestOf: Readonly<Record<string, number>>;
  /** The load generator's own CPU µs per request. */
  readonly loadGeneratorCpuUsPerRequest: number;
  readonly runsOpsPerSecond: readonly number[];
  /** Any run had non-2xx answers, errors or answers that did not do the job. */
  readonly flagged: boolean;
}

/** One operation, both sides. */
export interface Comparison {
  readonly id: OperationId;
  readonly label: string;
  readonly peerCall: string;
  readonly tessera: SideFigure;
  readonly peer: SideFigure;
  /** tessera's throughput / the peer's. */
  readonly ratio: number;
  readonly targetRatio: number;
  readonly maxCpuUsPerRequest?: number;
  readonly met: boolean;
}

/**
 * "gRPC callers: Vend and Rotate through the stream transport ≥ 70% of 1 / (stream echo cost
 * + signing or Lua cost), measured in the same run" (README, Performance).
 *
 * stream-callers.ts implements it over `StreamTransport` (packages/grpc-runtime): a stream
 * echo, then Vend and Rotate over the stream, each at {@link CONNECTIONS} in flight, limits
 * from the same run; run.ts passes it to {@link runPeer} as `streamTransport`. Without it the
 * chart shows these figures as "not measured in this build".
 */
export interface StreamTransportBench {
  measure(context: {
    readonly stack: BenchStack;
    readonly timing: Timing;
    readonly deadlineMs: number;
  }): Promise<readonly StreamTransportFigure[]>;
}

/** A figure of the stream transport: a throughput against a limit measured in the same run. */
export interface StreamTransportFigure {
  readonly label: string;
  readonly opsPerSecond: number;
  readonly p99Us: number;
  readonly limitOpsPerSecond: number;
  /** How the limit was made up: "1 / (stream echo cost + ES256 sign cost)". */
  readonly limit: string;
  /** Every round's share of its limit, in the order the rounds ran (this one is the median). */
  readonly roundShares?: readonly number[];
}

/** README, Performance: Vend and Rotate over the stream reach 70% of their limit. */
export const STREAM_TARGET = 0.7;
/** The figures the stream transport will add, by label, while it is not measured. */
export const STREAM_FIGURES = [
  'Vend, gRPC over the stream transport',
  'Rotate, gRPC over the stream transport',
] as const;

/** Everything one peer run produced; what `peer.json` holds. */
export interface PeerResult {
  readonly measuredAt: string;
  readonly node: string;
  readonly cpu: string;
  readonly cores: number;
  readonly loadAverageBefore: number;
  readonly loadAverageAfter: number;
  readonly connections: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly repetitions: number;
  readonly comparisons: readonly Comparison[];
  readonly streamTransport:
    | { readonly measured: true; readonly figures: readonly StreamTransportFigure[] }
    | { readonly measured: false; readonly reason: string };
}

/** Options of {@link runPeer}. */
export interface PeerOptions {
  readonly root: string;
  readonly stack: BenchStack;
  readonly timing: Timing;
  readonly deadlineMs: number;
  /** See {@link StreamTransportBench}; the figures are "not measured" when absent. */
  readonly streamTransport?: StreamTransportBench;
}

/** The workloads of one side, by operation. */
type SideWorkloads = Readonly<Record<OperationId, HttpWorkload>>;

interface Side {
  readonly name: 'tessera' | 'peer';
  readonly target: HttpTarget;
  readonly workloads: SideWorkloads;
  readonly watched: readonly Watched[];
}

/** Starts the peer, measures both sides and stops the peer again. */
export async function runPeer(options: PeerOptions): Promise<PeerResult> {
  const { stack, timing, deadlineMs, root } = options;
  const loadAverageBefore = loadavg()[0] ?? Number.NaN;
  const peerServer = await startChildServer(
    'peer (oidc-provider)',
    ['--import', 'tsx', 'test/bench/peer-server.ts'],
    { cwd: root },
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
  try {
    const rest = await createRestWorkloads({ stack, issuerClient, sessionClient, deadlineMs });
    const tessera: Side = {
      name: 'tessera',
      target: rest.gateway,
      workloads: {
        refresh: rest.refresh,
        vend: rest.vend,
        'validate-repeat': rest.validateRepeat,
        'validate-first-seen': rest.validateFirstSeen,
      },
      watched: [
        { name: 'gateway', pid: stack.gateway.pid },
        { name: 'issuer', pid: stack.issuer.pid },
        { name: 'session', pid: stack.session.pid },
        { name: 'redis', pid: stack.redis.pid },
      ],
    };
    const peer: Side = {
      name: 'peer',
      target: { origin: `http://127.0.0.1:${peerServer.port}` },
      workloads: await createPeerWorkloads(peerServer, rest.poolSize),
      watched: [{ name: 'oidc-provider', pid: peerServer.pid }],
    };

    const comparisons: Comparison[] = [];
    for (const operation of OPERATIONS) {
      const runs: Record<Side['name'], HttpMeasured[]> = { tessera: [], peer: [] };
      for (let repetition = 0; repetition < REPETITIONS; repetition++) {
        // Interleaved, the order swapped each time, so a drift of the machine hits both sides.
        const order = repetition % 2 === 0 ? [tessera, peer] : [peer, tessera];
        for (const side of order) {
          runs[side.name].push(
            await measureHttp(
              timing,
              `${side.name}: ${operation.label} (${repetition + 1}/${REPETITIONS})`,
              side.target,
              side.workloads[operation.id],
              CONNECTIONS,
              side.watched,
            ),
          );
        }
      }
      const tesseraFigure = medianFigure(runs.tessera);
      const peerFigure = medianFigure(runs.peer);
      const ratio = tesseraFigure.opsPerSecond / peerFigure.opsPerSecond;
      const maxCpu = 'maxCpuUsPerRequest' in operation ? operation.maxCpuUsPerRequest : undefined;
      comparisons.push({
        id: operation.id,
        label: operation.label,
        peerCall: operation.peerCall,
        tessera: tesseraFigure,
        peer: peerFigure,
        ratio,
        targetRatio: operation.targetRatio,
        ...(maxCpu === undefined ? {} : { maxCpuUsPerRequest: maxCpu }),
        met:
          ratio >= operation.targetRatio &&
          (maxCpu === undefined || tesseraFigure.cpuUsPerRequest <= maxCpu),
      });
    }

    const streamFigures = await options.streamTransport?.measure({ stack, timing, deadlineMs });
    return {
      measuredAt: new Date().toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown CPU',
      cores: availableParallelism(),
      loadAverageBefore,
      loadAverageAfter: loadavg()[0] ?? Number.NaN,
      connections: CONNECTIONS,
      seconds: timing.seconds,
      warmupSeconds: timing.warmupSeconds,
      repetitions: REPETITIONS,
      comparisons,
      streamTransport:
        streamFigures === undefined
          ? { measured: false, reason: 'the stream transport is not part of this build' }
          : { measured: true, figures: streamFigures },
    };
  } finally {
    issuerClient.close();
    sessionClient.close();
    await peerServer.stop();
  }
}

/** The run with the median throughput; every run's throughput beside it. */
function medianFigure(runs: readonly HttpMeasured[]): SideFigure {
  const sorted = [...runs].sort((a, b) => a.opsPerSecond - b.opsPerSecond);
  const median = sorted[Math.floor(sorted.length / 2)];
  if (median === undefined) throw new Error('no run to take the median of');
  const cpuUsPerRequestOf = Object.fromEntries(median.cpuUsPerCallOf);
  return {
    opsPerSecond: median.opsPerSecond,
    p50Us: median.p50Us,
    p99Us: median.p99Us,
    cpuUsPerRequest: Object.values(cpuUsPerRequestOf).reduce((sum, cpu) => sum + cpu, 0),
    cpuUsPerRequestOf,
    loadGeneratorCpuUsPerRequest: median.cpuUsPerCall,
    runsOpsPerSecond: runs.map((run) => run.opsPerSecond),
    flagged: runs.some((run) => run.flagged),
  };
}

/** The peer's four loads, each checked once by hand before it is handed out. */
async function createPeerWorkloads(server: ChildServer, poolSize: number): Promise<SideWorkloads> {
  const origin = `http://127.0.0.1:${server.port}`;
  const form = {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
  };
  const post = async (path: string, body: string): Promise<Record<string, unknown>> => {
    const response = await fetch(`${origin}${path}`, {
      method: 'POST',
      headers: form,
      body,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (response.status !== 200)
      throw new Error(`peer ${path} answered ${response.status}: ${text}`);
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) throw new Error(`peer ${path}: ${text}`);
    return parsed as Record<string, unknown>;
  };

  const vendBody = new URLSearchParams({
    grant_type: 'client_credentials',
    resource: RESOURCE,
    scope: SCOPE,
  }).toString();
  const vended = await post(TOKEN_PATH, vendBody);
  const jwt = String(vended.access_token);
  const header: unknown = JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString());
  if (
    typeof header !== 'object' ||
    header === null ||
    !('alg' in header) ||
    header.alg !== 'ES256'
  ) {
    throw new Error(`the peer's client_credentials token is not an ES256 JWT: ${jwt}`);
  }

  const opaqueBody = new URLSearchParams({ grant_type: 'client_credentials' }).toString();
  const mintOpaque = async () => String((await post(TOKEN_PATH, opaqueBody)).access_token);
  const repeatToken = await mintOpaque();
  const introspected = await post(INTROSPECTION_PATH, `token=${encodeURIComponent(repeatToken)}`);
  if (introspected.active !== true) throw new Error('the peer does not introspect its own token');

  process.stderr.write(`minting ${formatRate(poolSize)} opaque tokens on the peer…\n`);
  const pool = new Array<string>(poolSize);
  let nextMint = 0;
  const minter = async () => {
    for (let index = nextMint++; index < poolSize; index = nextMint++) {
      pool[index] = await mintOpaque();
    }
  };
  await Promise.all(Array.from({ length: POOL_MINT_CONCURRENCY }, minter));
  let taken = 0;
  const nextPoolToken = () => pool[taken++ % pool.length] ?? '';

  const seed = async (count: number): Promise<string[]> => {
    const response = await fetch(`${origin}${SEED_PATH}?count=${count}`, { method: 'POST' });
    const body: unknown = await response.json();
    const tokens =
      typeof body === 'object' && body !== null && 'refreshTokens' in body
        ? body.refreshTokens
        : undefined;
    if (!Array.isArray(tokens) || tokens.length !== count) {
      throw new Error(`the peer did not mint ${count} refresh tokens: ${JSON.stringify(body)}`);
    }
    return tokens.map(String);
  };
  const [probe] = await seed(1);
  const refreshed = await post(TOKEN_PATH, refreshBody(probe ?? ''));
  if (typeof refreshed.refresh_token !== 'string' || refreshed.refresh_token === probe) {
    throw new Error('the peer refreshed without rotating the refresh token');
  }

  return {
    vend: () => ({ path: TOKEN_PATH, method: 'POST', headers: form, body: vendBody }),
    'validate-repeat': () => ({
      path: INTROSPECTION_PATH,
      method: 'POST',
      headers: form,
      body: `token=${encodeURIComponent(repeatToken)}`,
    }),
    'validate-first-seen': () => ({
      path: INTROSPECTION_PATH,
      requests: [
        {
          method: 'POST',
          path: INTROSPECTION_PATH,
          headers: form,
          setupRequest: (request) => ({
            ...request,
            body: `token=${encodeURIComponent(nextPoolToken())}`,
          }),
        },
      ],
    }),
    refresh: async (connections) => {
      // As for tessera (rest.ts): a run abandons its requests in flight, and a chain whose
      // last token was consumed without its answer cannot go on, so every run seeds anew.
      const tokens = await seed(connections);
      let assigned = 0;
      let bad = 0;
      const setupClient = (client: autocannon.Client) => {
        const chain = assigned++;
        if (chain >= tokens.length) throw new Error(`no refresh chain for connection ${chain}`);
        client.setRequests([
          {
            method: 'POST',
            path: TOKEN_PATH,
            headers: form,
            setupRequest: (request) => ({ ...request, body: refreshBody(tokens[chain] ?? '') }),
            onResponse: (status, body) => {
              if (status !== 200) return;
              const next = refreshTokenOf(body);
              if (next === undefined || next === tokens[chain]) bad++;
              else tokens[chain] = next;
            },
          },
        ]);
      };
      return {
        path: TOKEN_PATH,
        method: 'POST',
        headers: form,
        body: refreshBody(tokens[0] ?? ''),
        setupClient,
        badAnswers: () => bad,
      };
    },
  };
}

function refreshBody(refreshToken: string): string {
  return new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
  }).toString();
}

function refreshTokenOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const token =
      typeof parsed === 'object' && parsed !== null && 'refresh_token' in parsed
        ? parsed.refresh_token
        : undefined;
    return typeof token === 'string' && token !== '' ? token : undefined;
  } catch {
    return undefined;
  }
}

/** Prints the comparison table and what the figures are. */
export function printPeer(result: PeerResult): void {
  console.log(
    `## tessera (REST gateway, the npm start stack) vs oidc-provider (one process, in memory)\n`,
  );
  const rows = result.comparisons.flatMap((comparison) => {
    const { tessera, peer } = comparison;
    const cpuTarget =
      comparison.maxCpuUsPerRequest === undefined
        ? ''
        : `, CPU ≤ ${formatMicros(comparison.maxCpuUsPerRequest)}`;
    return [
      [
        comparison.label,
        formatRate(tessera.opsPerSecond),
        formatMicros(tessera.p99Us),
        formatMicros(tessera.cpuUsPerRequest),
        formatRate(peer.opsPerSecond),
        formatMicros(peer.p99Us),
        formatMicros(peer.cpuUsPerRequest),
        `${comparison.ratio.toFixed(2)}×`,
        `≥ ${comparison.targetRatio}×${cpuTarget}`,
        comparison.met ? 'yes' : 'NO',
        tessera.flagged || peer.flagged ? 'FLAGGED' : 'all 2xx',
      ],
    ];
  });
  console.log(
    renderTable(
      [
        { header: 'operation' },
        { header: 'tessera ops/s', numeric: true },
        { header: 'p99', numeric: true },
        { header: 'CPU/req', numeric: true },
        { header: 'peer ops/s', numeric: true },
        { header: 'p99', numeric: true },
        { header: 'CPU/req', numeric: true },
        { header: 'ratio', numeric: true },
        { header: 'target' },
        { header: 'met' },
        { header: 'answers' },
      ],
      rows,
    ),
  );
  console.log('\nCPU/req by process (tessera) and the load generator’s own:\n');
  console.log(
    renderTable(
      [
        { header: 'operation' },
        { header: 'gateway', numeric: true },
        { header: 'issuer', numeric: true },
        { header: 'session', numeric: true },
        { header: 'redis', numeric: true },
        { header: 'autocannon (tessera)', numeric: true },
        { header: 'autocannon (peer)', numeric: true },
        { header: 'runs ops/s (tessera)' },
        { header: 'runs ops/s (peer)' },
      ],
      result.comparisons.map((comparison) => {
        const of = comparison.tessera.cpuUsPerRequestOf;
        return [
          comparison.label,
          formatMicros(of.gateway),
          formatMicros(of.issuer),
          formatMicros(of.session),
          formatMicros(of.redis),
          formatMicros(comparison.tessera.loadGeneratorCpuUsPerRequest),
          formatMicros(comparison.peer.loadGeneratorCpuUsPerRequest),
          comparison.tessera.runsOpsPerSecond.map(formatRate).join(' / '),
          comparison.peer.runsOpsPerSecond.map(formatRate).join(' / '),
        ];
      }),
    ),
  );
  const stream = result.streamTransport;
  if (stream.measured) {
    console.log(`\ngRPC callers over the stream transport (${CONNECTIONS} in flight):\n`);
    console.log(
      renderTable(
        [
          { header: 'operation' },
          { header: 'ops/s', numeric: true },
          { header: 'p99', numeric: true },
          { header: 'limit ops/s', numeric: true },
          { header: 'of limit', numeric: true },
          { header: 'target', numeric: true },
          { header: 'met' },
          { header: 'limit' },
        ],
        stream.figures.map((figure) => {
          const ofLimit = figure.opsPerSecond / figure.limitOpsPerSecond;
          return [
            figure.label,
            formatRate(figure.opsPerSecond),
            formatMicros(figure.p99Us),
            formatRate(figure.limitOpsPerSecond),
            formatRatio(ofLimit),
            `≥ ${formatRatio(STREAM_TARGET)}`,
            ofLimit >= STREAM_TARGET ? 'yes' : 'NO',
            figure.limit,
          ];
        }),
      ),
    );
  }
  console.log(
    `\n${CONNECTIONS} connections each side, ${REPETITIONS} interleaved runs of ${result.seconds} s ` +
      `(after ${result.warmupSeconds} s of warm-up each) per figure and side; the median run is shown.\n` +
      'CPU/req: CPU time of every server process of the side per 2xx answer, from /proc\n' +
      '(tessera: gateway + issuer + session + redis-server; peer: its one process).\n' +
      (stream.measured
        ? `Stream figures: the median of ${stream.figures[0]?.roundShares?.length ?? 1} rounds, each back to back with its limits ` +
          `(every round's share: ${stream.figures.map((figure) => (figure.roundShares ?? []).map((share) => `${Math.round(share * 100)}%`).join(', ')).join('; ')});\n` +
          'a cost is 1 / the throughput of its own measurement (stream echo and Lua rotate at the same\n' +
          'in-flight count, ES256 node:crypto sign one at a time).\n'
        : `gRPC callers over the stream transport: not measured (${stream.reason}).\n`),
  );
}

/** The chart of a result: every comparison, the refresh CPU budget, the stream figures. */
export function peerChart(result: PeerResult): Chart {
  const figures: ChartFigure[] = [];
  for (const comparison of result.comparisons) {
    const { tessera, peer } = comparison;
    figures.push({
      label: `${comparison.label}, tessera / peer`,
      value: comparison.ratio,
      target: comparison.targetRatio,
      direction: 'at-least',
      unit: '×',
      detail:
        `${formatRate(tessera.opsPerSecond)}/s (p99 ${formatMicros(tessera.p99Us)}) vs ` +
        `${formatRate(peer.opsPerSecond)}/s (p99 ${formatMicros(peer.p99Us)})`,
    });
    if (comparison.maxCpuUsPerRequest !== undefined) {
      figures.push({
        label: `${comparison.label}: CPU per request`,
        value: tessera.cpuUsPerRequest,
        target: comparison.maxCpuUsPerRequest,
        direction: 'at-most',
        unit: 'µs',
        detail: `all processes: tessera ${formatMicros(tessera.cpuUsPerRequest)} vs peer ${formatMicros(peer.cpuUsPerRequest)}`,
      });
    }
  }
  const stream = result.streamTransport;
  if (stream.measured) {
    for (const figure of stream.figures) {
      figures.push({
        label: figure.label,
        value: figure.opsPerSecond / figure.limitOpsPerSecond,
        target: STREAM_TARGET,
        direction: 'at-least',
        unit: '%',
        detail: `${formatRate(figure.opsPerSecond)}/s (p99 ${formatMicros(figure.p99Us)}) vs ${figure.limit}`,
      });
    }
  } else {
    for (const label of STREAM_FIGURES) {
      figures.push({
        label,
        value: undefined,
        target: STREAM_TARGET,
        direction: 'at-least',
        unit: '%',
        detail: 'of 1 / (stream echo cost + sign or Lua cost), same run',
      });
    }
  }
  const load = `load average ${result.loadAverageBefore.toFixed(2)} → ${result.loadAverageAfter.toFixed(2)}`;
  return {
    title: 'tessera vs oidc-provider 9.13, against the targets',
    subtitle:
      `${result.measuredAt.slice(0, 10)} · Node ${result.node} · ${result.cores} × ${result.cpu} · ` +
      `${result.connections} connections · median of ${result.repetitions} × ${result.seconds} s · ${load}`,
    figures,
  };
}

/** Writes `peer.json` and `peer.svg` into `dir` and returns their paths. */
export function writePeerResults(result: PeerResult, dir: string): readonly string[] {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'peer.json');
  const svg = join(dir, 'peer.svg');
  writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(svg, renderChart(peerChart(result)));
  return [json, svg];
}
