/**
 * The arithmetic of a stream-transport figure (stream-callers.ts): a throughput beside
 * 1 / (stream echo cost + the cost of the work the call does), each cost 1 / a throughput.
 */
import { type LoadResult, serialLimit } from './load.js';
import type { StreamTransportFigure } from './peer.js';
import { formatMicros, formatRate } from './report.js';

/** What the call does besides crossing the stream, and how fast it was done alone. */
export interface WorkCost {
  /** "ES256 sign", "Lua rotate". */
  readonly name: string;
  readonly opsPerSecond: number;
}

/** A figure of the stream transport: `measured` against 1 / (echo cost + work cost). */
export function streamFigure(
  label: string,
  measured: Pick<LoadResult, 'opsPerSecond' | 'p99Us'>,
  echo: Pick<LoadResult, 'opsPerSecond'>,
  work: WorkCost,
): StreamTransportFigure {
  const limitOpsPerSecond = serialLimit(echo, work);
  return {
    label,
    opsPerSecond: measured.opsPerSecond,
    p99Us: measured.p99Us,
    limitOpsPerSecond,
    limit:
      `1 / (stream echo ${formatMicros(1e6 / echo.opsPerSecond)} + ` +
      `${work.name} ${formatMicros(1e6 / work.opsPerSecond)}) = ${formatRate(limitOpsPerSecond)}/s`,
  };
}
