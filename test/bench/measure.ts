/**
 * One figure of the bench: a warm-up, then a measured closed loop, with the CPU time every
 * process taking part spent on it read from /proc around the measured part only.
 */
import { processStats } from './children.js';
import { type LoadResult, type Operation, runLoad } from './load.js';

// Pure arithmetic, kept in load.ts so unit tests can import it without this module's /proc reads.
export { serialLimit } from './load.js';

/** How long each figure is measured, and warmed up before. */
export interface Timing {
  readonly seconds: number;
  readonly warmupSeconds: number;
}

/** A process whose CPU time a figure reports (a server, Redis). */
export interface Watched {
  readonly name: string;
  readonly pid: number;
}

/** What one figure produced. */
export interface Measured extends LoadResult {
  /** CPU µs per call of each watched process, by name; absent where there is no /proc. */
  readonly cpuUsPerCallOf: ReadonlyMap<string, number>;
  /**
   * When the measured part ran, on the monotonic clock in µs (`process.hrtime` / 1000),
   * which V8 also stamps CPU profile samples with.
   */
  readonly window: { readonly fromUs: number; readonly toUs: number };
}

/** Warms `operation` up, then measures it at `inFlight` calls outstanding. */
export async function measure(
  timing: Timing,
  label: string,
  operation: Operation,
  inFlight: number,
  watched: readonly Watched[] = [],
): Promise<Measured> {
  process.stderr.write(`measuring ${label} at ${inFlight} in flight…\n`);
  await runLoad(operation, { inFlight, seconds: timing.warmupSeconds });
  const before = watched.map((process_) => processStats(process_.pid));
  const fromUs = monotonicUs();
  const result = await runLoad(operation, { inFlight, seconds: timing.seconds });
  const toUs = monotonicUs();
  const cpuUsPerCallOf = new Map<string, number>();
  for (const [index, process_] of watched.entries()) {
    const start = before[index];
    const end = processStats(process_.pid);
    if (start !== undefined && end !== undefined && result.calls > 0) {
      cpuUsPerCallOf.set(process_.name, ((end.cpuSeconds - start.cpuSeconds) * 1e6) / result.calls);
    }
  }
  return { ...result, cpuUsPerCallOf, window: { fromUs, toUs } };
}

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
