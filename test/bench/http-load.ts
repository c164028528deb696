/**
 * HTTP figures with autocannon as the load generator, in this process: each connection sends
 * its next request as soon as the answer to the last one is in (no pipelining), so the
 * connection count is the number of requests in flight, as `inFlight` is for the gRPC figures.
 *
 * autocannon's own latency histogram counts whole milliseconds, too coarse for a 300 µs echo,
 * so latencies are taken from the response times it reports per answer (hrtime, fractional
 * ms) and ranked here. Throughput counts 2xx answers only; every other answer, connection
 * error and timeout is counted, and a figure with any of them is flagged.
 */
import autocannon from 'autocannon';
import { processStats } from './children.js';
import { percentile } from './load.js';
import type { Measured, Timing, Watched } from './measure.js';

/** What one autocannon run sends: a path and the request options autocannon takes. */
export interface HttpRun
  extends Pick<autocannon.Options, 'method' | 'headers' | 'body' | 'requests' | 'setupClient'> {
  readonly path: string;
  /** 2xx answers the workload found wrong (a refresh that did not rotate, say), so far. */
  readonly badAnswers?: () => number;
}

/**
 * A workload: the run for `connections` connections, made anew for every run (warm-up and
 * measured part), so that a workload whose connections keep state (refresh chains) can give
 * each run state of its own.
 */
export type HttpWorkload = (connections: number) => HttpRun | Promise<HttpRun>;

/** What went wrong during a figure; all zero and empty for a clean one. */
export interface HttpFailures {
  /** Answers with a status outside 2xx, by status. */
  readonly statuses: ReadonlyMap<number, number>;
  readonly non2xx: number;
  /** Connection errors and timeouts (autocannon counts timeouts as errors too). */
  readonly errors: number;
  readonly timeouts: number;
  /** 2xx answers the workload found wrong. */
  readonly badAnswers: number;
  /** The first error's message, if there was one. */
  readonly firstError?: string;
}

/** One HTTP figure: the same fields as a gRPC one, and what went wrong. */
export interface HttpMeasured extends Measured {
  readonly failures: HttpFailures;
  /** Whether anything at all went wrong: such a figure is reported, but flagged. */
  readonly flagged: boolean;
}

/** The server a figure loads. */
export interface HttpTarget {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
}

/** The interval autocannon checks whether the run is over at (its default is 1 s). */
const SAMPLE_INTERVAL_MS = 50;
/**
 * The shortest wait for an answer before autocannon counts a timeout. A run never waits
 * less than it lasts, so a request left unanswered for a whole run is counted as an error
 * rather than lost when the run ends; that is still many times any p99 seen here.
 */
const MIN_TIMEOUT_SECONDS = 2;

/** Warms the workload up, then measures it with `connections` connections. */
export async function measureHttp(
  timing: Timing,
  label: string,
  target: HttpTarget,
  workload: HttpWorkload,
  connections: number,
  watched: readonly Watched[] = [],
): Promise<HttpMeasured> {
  process.stderr.write(`measuring ${label} at ${connections} connections…\n`);
  await runHttp(target, await workload(connections), connections, timing.warmupSeconds);
  const run = await workload(connections);
  const before = watched.map((process_) => processStats(process_.pid));
  const startCpu = process.cpuUsage();
  const fromUs = monotonicUs();
  const result = await runHttp(target, run, connections, timing.seconds);
  const toUs = monotonicUs();
  const cpu = process.cpuUsage(startCpu);
  const cpuUsPerCallOf = new Map<string, number>();
  for (const [index, process_] of watched.entries()) {
    const start = before[index];
    const end = processStats(process_.pid);
    if (start !== undefined && end !== undefined && result.calls > 0) {
      cpuUsPerCallOf.set(process_.name, ((end.cpuSeconds - start.cpuSeconds) * 1e6) / result.calls);
    }
  }
  const { failures } = result;
  return {
    inFlight: connections,
    calls: result.calls,
    elapsedSeconds: result.elapsedSeconds,
    opsPerSecond: result.calls / result.elapsedSeconds,
    p50Us: percentile(result.latenciesUs, 0.5),
    p99Us: percentile(result.latenciesUs, 0.99),
    cpuUsPerCall: result.calls === 0 ? 0 : (cpu.user + cpu.system) / result.calls,
    cpuUsPerCallOf,
    window: { fromUs, toUs },
    failures,
    flagged: result.calls === 0 || failures.non2xx + failures.errors + failures.badAnswers > 0,
  };
}

interface RunResult {
  /** 2xx answers. */
  readonly calls: number;
  readonly elapsedSeconds: number;
  /** Of the 2xx answers, ascending. */
  readonly latenciesUs: readonly number[];
  readonly failures: HttpFailures;
}

async function runHttp(
  target: HttpTarget,
  run: HttpRun,
  connections: number,
  seconds: number,
): Promise<RunResult> {
  const { path, badAnswers, ...requestOptions } = run;
  const latenciesUs: number[] = [];
  const statuses = new Map<number, number>();
  let firstError: string | undefined;
  const badBefore = badAnswers?.() ?? 0;
  const start = process.hrtime.bigint();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        ...requestOptions,
        url: `${target.origin}${path}`,
        connections,
        pipelining: 1,
        duration: seconds,
        timeout: Math.max(MIN_TIMEOUT_SECONDS, seconds),
        sampleInt: SAMPLE_INTERVAL_MS,
      },
      (error: unknown, finished) => (error ? reject(error) : resolve(finished)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      if (statusCode >= 200 && statusCode < 300) latenciesUs.push(responseTimeMs * 1000);
      else statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
    });
    instance.on('reqError', (error: unknown) => {
      firstError ??= error instanceof Error ? error.message : String(error);
    });
  });
  // Answers that arrive after autocannon decided to stop, before it closed its connections,
  // are counted too, so the time runs until it has.
  const elapsedSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  latenciesUs.sort((a, b) => a - b);
  const non2xx = [...statuses.values()].reduce((sum, count) => sum + count, 0);
  return {
    calls: latenciesUs.length,
    elapsedSeconds,
    latenciesUs,
    failures: {
      statuses,
      non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      badAnswers: (badAnswers?.() ?? 0) - badBefore,
      ...(firstError === undefined ? {} : { firstError }),
    },
  };
}

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
