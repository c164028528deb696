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

/**
 * Of one figure's rounds, the one whose share of its limit is the median; its `rounds` lists
 * every round's share, in the order they ran.
 */
export function medianOfLimit(
  rounds: readonly (StreamTransportFigure | undefined)[],
): StreamTransportFigure {
  const present = rounds.filter((round): round is StreamTransportFigure => round !== undefined);
  const share = (figure: StreamTransportFigure) => figure.opsPerSecond / figure.limitOpsPerSecond;
  const sorted = [...present].sort((a, b) => share(a) - share(b));
  const median = sorted[Math.floor(sorted.length / 2)];
  if (median === undefined) throw new Error('no round to take the median of');
  return { ...median, roundShares: present.map(share) };
}
