/**
 * A closed-loop load generator: `inFlight` workers each await one call after another until
 * the time is up, so the offered load adapts to what the system under test can take and
 * throughput and latency come from the same calls.
 */

/**
 * One call of the operation under load; a rejection aborts the measurement. `client` is the
 * index of the worker making the call (0 ≤ client < inFlight), so a workload can give each
 * virtual client state of its own, such as a refresh-token chain only it rotates.
 */
export type Operation = (client: number) => Promise<unknown>;

/** What one measurement produced. */
export interface LoadResult {
  readonly inFlight: number;
  readonly calls: number;
  readonly elapsedSeconds: number;
  readonly opsPerSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** CPU time (user + system, every thread) of this process per call. */
  readonly cpuUsPerCall: number;
}

/** Runs `operation` with `inFlight` calls outstanding for `seconds`. */
export async function runLoad(
  operation: Operation,
  options: { readonly inFlight: number; readonly seconds: number },
): Promise<LoadResult> {
  const latenciesNs: number[] = [];
  const startCpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(options.seconds * 1e9));
  const worker = async (client: number) => {
    for (let now = process.hrtime.bigint(); now < end; ) {
      await operation(client);
      const done = process.hrtime.bigint();
      latenciesNs.push(Number(done - now));
      now = done;
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, (_, client) => worker(client)));
  // Calls started just before `end` finish after it; counting them against the real elapsed
  // time keeps ops/s honest at high concurrency.
  const elapsedSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(startCpu);
  const calls = latenciesNs.length;
  latenciesNs.sort((a, b) => a - b);
  return {
    inFlight: options.inFlight,
    calls,
    elapsedSeconds,
    opsPerSecond: calls / elapsedSeconds,
    p50Us: percentile(latenciesNs, 0.5) / 1e3,
    p99Us: percentile(latenciesNs, 0.99) / 1e3,
    cpuUsPerCall: calls === 0 ? 0 : (cpu.user + cpu.system) / calls,
  };
}

/** Nearest-rank percentile of ascending `sorted`; NaN when empty. */
export function percentile(sorted: readonly number[], quantile: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(quantile * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

/** 1 / (sum of the costs), each cost being 1 / a throughput: the limit of a serial chain. */
export function serialLimit(...parts: readonly Pick<LoadResult, 'opsPerSecond'>[]): number {
  return 1 / parts.reduce((cost, part) => cost + 1 / part.opsPerSecond, 0);
}
