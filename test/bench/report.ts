/** Plain-text rendering of bench results: aligned markdown tables and unit formatting. */

/** A column: its header and whether its cells are numbers (right-aligned). */
export interface Column {
  readonly header: string;
  readonly numeric?: boolean;
}

/** Renders a markdown table whose cells are padded so it also reads well in a terminal. */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
): string {
  const widths = columns.map((column, index) =>
    Math.max(3, column.header.length, ...rows.map((row) => (row[index] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${columns
      .map((column, index) => {
        const width = widths[index] ?? 0;
        const cell = cells[index] ?? '';
        return column.numeric ? cell.padStart(width) : cell.padEnd(width);
      })
      .join(' | ')} |`;
  const rule = `|${columns
    .map((column, index) => {
      const dashes = '-'.repeat(widths[index] ?? 0);
      return column.numeric ? ` ${dashes.slice(1)}: ` : ` ${dashes} `;
    })
    .join('|')}|`;
  return [line(columns.map((column) => column.header)), rule, ...rows.map(line)].join('\n');
}

/** Placeholder of a cell that has no value for its row. */
export const NONE = '–';

/** Operations per second, grouped by thousands: `12,345`. */
export function formatRate(opsPerSecond: number): string {
  return Math.round(opsPerSecond).toLocaleString('en-US');
}

/** A duration given in µs, in µs below 10 ms and in ms above. */
export function formatMicros(micros: number | undefined): string {
  if (micros === undefined || !Number.isFinite(micros)) return NONE;
  if (micros < 100) return `${micros.toFixed(1)} µs`;
  if (micros < 10_000) return `${Math.round(micros)} µs`;
  return `${(micros / 1000).toFixed(1)} ms`;
}

/** A ratio as a percentage: `87%`. */
export function formatRatio(ratio: number | undefined): string {
  return ratio === undefined || !Number.isFinite(ratio) ? NONE : `${Math.round(ratio * 100)}%`;
}

/** Bytes in MiB: `84.2 MiB`. */
export function formatBytes(bytes: number | undefined): string {
  return bytes === undefined || !Number.isFinite(bytes)
    ? NONE
    : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
