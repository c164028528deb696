/**
 * `npm run bench`: the performance targets of DESIGN §9, each figure beside a limit measured
 * in the same run on the same machine, so the ratios hold on a noisy two-core box.
 *
 * 1. raw sign and verify (jose, node:crypto) and tessera's own signer and verifier;
 * 2. a grpc-js echo in its own process, at 1 and 64 calls in flight;
 * 3. Vend and Validate against the built issuer in its own process, against
 *    1 / (echo cost + fastest raw crypto cost) at the same in-flight count;
 * 4. RSS of every process after the run.
 *
 * BENCH_SECONDS (default 2) sets how long each figure is measured, after a warm-up of a
 * quarter of that. Ratios are reported, never enforced: the exit code only says whether the
 * bench itself ran.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { issuerV1 } from '@tessera/contracts';
import { createChannelOptions, credentialsMetadata, unaryCall } from '@tessera/grpc-runtime';
import { writeStandardRealm } from '@tessera/testing';
import { type ChildServer, processStats, startChildServer } from './children.js';
import { EchoServiceClient } from './echo-service.js';
import { type LoadResult, type Operation, runLoad } from './load.js';
import { type BenchAlgorithm, type CryptoCase, createCryptoCases } from './raw-crypto.js';
import { formatBytes, formatMicros, formatRate, formatRatio, NONE, renderTable } from './report.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const IN_FLIGHT = [1, 64] as const;
/** DESIGN §9: Vend and first-seen Validate reach at least 70% of their limit. */
const TARGET = 0.7;
const DEADLINE_MS = 10_000;
/** Distinct tokens Validate cycles through, so no token is a hot repeat. */
const TOKEN_POOL_SIZE = 256;
/** About a Vend request and a little under its response, so the echo moves similar bytes. */
const ECHO_PAYLOAD = Buffer.alloc(256, 'e');

interface Measured extends LoadResult {
  /** CPU time of the server process per call; undefined when it was not a server call. */
  readonly serverCpuUsPerCall?: number | undefined;
}

const seconds = readBenchSeconds();
const warmupSeconds = Math.max(0.2, seconds / 4);
const startedAt = performance.now();

console.log(
  `tessera bench: Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${availableParallelism()}, ` +
    `${seconds} s per figure after ${warmupSeconds} s of warm-up (BENCH_SECONDS); ` +
    `${loadLine()}\n`,
);

const crypto = await measureCrypto();
printCrypto(crypto);
await measureServers(crypto);
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

/** Warms `operation` up, then measures it; server CPU is read around the measured part only. */
async function measure(
  label: string,
  operation: Operation,
  inFlight: number,
  server?: ChildServer,
): Promise<Measured> {
  process.stderr.write(`measuring ${label} at ${inFlight} in flight…\n`);
  await runLoad(operation, { inFlight, seconds: warmupSeconds });
  const before = server === undefined ? undefined : processStats(server.pid);
  const result = await runLoad(operation, { inFlight, seconds });
  const after = server === undefined ? undefined : processStats(server.pid);
  const serverCpuUsPerCall =
    before === undefined || after === undefined
      ? undefined
      : ((after.cpuSeconds - before.cpuSeconds) * 1e6) / result.calls;
  return { ...result, serverCpuUsPerCall };
}

interface CryptoResult extends CryptoCase {
  readonly result: Measured;
}

async function measureCrypto(): Promise<CryptoResult[]> {
  const results: CryptoResult[] = [];
  for (const cryptoCase of await createCryptoCases()) {
    const label = `${cryptoCase.alg} ${cryptoCase.op} (${cryptoCase.implementation})`;
    results.push({ ...cryptoCase, result: await measure(label, cryptoCase.run, 1) });
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

async function measureServers(crypto: readonly CryptoResult[]): Promise<void> {
  const realm = await writeStandardRealm();
  const servers: ChildServer[] = [];
  try {
    const echoServer = await startChildServer(
      'echo server',
      ['--import', 'tsx', 'test/bench/echo-server.ts'],
      { cwd: ROOT },
    );
    servers.push(echoServer);
    const issuer = await startChildServer('issuer', ['services/issuer/dist/main.js'], {
      cwd: ROOT,
      env: {
        ...process.env,
        TESSERA_CONFIG: realm.realmFile,
        ISSUER_ADDRESS: '127.0.0.1:0',
        ISSUER_METRICS_ADDRESS: '',
        // The production default: per-call lines are debug, so none are written.
        LOG_LEVEL: 'info',
      },
    });
    servers.push(issuer);

    // One long-lived channel per server, as tessera's own clients keep them.
    const echoClient = new EchoServiceClient(
      `127.0.0.1:${echoServer.port}`,
      credentials.createInsecure(),
      createChannelOptions(),
    );
    const issuerClient = new issuerV1.IssuerServiceClient(
      `127.0.0.1:${issuer.port}`,
      credentials.createInsecure(),
      createChannelOptions(),
    );
    try {
      const echo: Operation = () =>
        unaryCall(echoClient.echo.bind(echoClient), ECHO_PAYLOAD, { deadlineMs: DEADLINE_MS });
      const vendRequest: issuerV1.VendRequest = {
        tenantId: realm.tenantA,
        claimsJson: JSON.stringify({ sub: 'bench-user', roles: ['user'] }),
        keyId: '',
        timeToLiveSeconds: 0,
      };
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

      const sign = fastestRaw(crypto, 'ES256', 'sign');
      const verify = fastestRaw(crypto, 'ES256', 'verify');
      const rows: string[][] = [];
      for (const inFlight of IN_FLIGHT) {
        const echoed = await measure('gRPC echo', echo, inFlight, echoServer);
        const vended = await measure('Vend ES256', vend, inFlight, issuer);
        const validated = await measure('Validate ES256', validate, inFlight, issuer);
        rows.push(
          grpcRow('gRPC echo', echoed),
          grpcRow('Vend', vended, limitOf(echoed, sign.result)),
          grpcRow('Validate', validated, limitOf(echoed, verify.result)),
        );
      }
      printServers(rows, sign, verify);
    } finally {
      echoClient.close();
      issuerClient.close();
    }
    printMemory([
      ['issuer', issuer.pid],
      ['echo server (under tsx)', echoServer.pid],
      ['bench (load generator)', process.pid],
    ]);
  } finally {
    for (const server of servers.reverse()) await server.stop();
    realm.cleanup();
  }
}

/** 1 / (echo cost + crypto cost), each cost being 1 / its throughput. */
function limitOf(echo: LoadResult, crypto: LoadResult): number {
  return 1 / (1 / echo.opsPerSecond + 1 / crypto.opsPerSecond);
}

function grpcRow(name: string, measured: Measured, limit?: number): string[] {
  const ratio = limit === undefined ? undefined : measured.opsPerSecond / limit;
  return [
    name,
    String(measured.inFlight),
    formatRate(measured.opsPerSecond),
    formatMicros(measured.p50Us),
    formatMicros(measured.p99Us),
    limit === undefined ? NONE : formatRate(limit),
    formatRatio(ratio),
    limit === undefined ? NONE : `≥ ${formatRatio(TARGET)}`,
    ratio === undefined ? NONE : ratio >= TARGET ? 'yes' : 'NO',
    formatMicros(measured.serverCpuUsPerCall),
    formatMicros(measured.cpuUsPerCall),
  ];
}

function printServers(rows: readonly string[][], sign: CryptoResult, verify: CryptoResult): void {
  console.log('## gRPC (servers in their own processes, load from this one)\n');
  console.log(
    renderTable(
      [
        { header: 'call' },
        { header: 'in flight', numeric: true },
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
