/**
 * The peer comparison drawn as an SVG chart: one row per figure, a bar for what was measured
 * and a mark where its target is. Pure (figures in, SVG text out), so the bench writes the
 * same file for the same figures and a unit test can read it (test/bench/peer-chart.test.ts).
 *
 * Every bar is drawn on its own scale, relative to its target: the target's mark sits at the
 * same place on every row, so "how far from the target" reads the same for a ratio that must
 * be at least 3× and for a CPU cost that must be at most 370 µs.
 */

/** Whether a figure must reach its target from below (a ratio) or stay under it (a cost). */
export type TargetDirection = 'at-least' | 'at-most';

/** One row of the chart. */
export interface ChartFigure {
  readonly label: string;
  /** What was measured; undefined when the figure is not measured in this build. */
  readonly value: number | undefined;
  readonly target: number;
  readonly direction: TargetDirection;
  /** How the value and the target are written: `×` ratios, `µs` costs, `%` fractions. */
  readonly unit: '×' | 'µs' | '%';
  /** A second line under the label: the throughputs and p99s behind a ratio, say. */
  readonly detail: string;
}

/** The chart as a whole. */
export interface Chart {
  readonly title: string;
  /** One line under the title: the machine, the run, the load average. */
  readonly subtitle: string;
  readonly figures: readonly ChartFigure[];
}

/** Whether a measured figure meets its target; undefined when it was not measured. */
export function meetsTarget(figure: ChartFigure): boolean | undefined {
  if (figure.value === undefined) return undefined;
  return figure.direction === 'at-least'
    ? figure.value >= figure.target
    : figure.value <= figure.target;
}

/** Writes a value or a target in the figure's unit. */
export function formatFigureValue(value: number, unit: ChartFigure['unit']): string {
  switch (unit) {
    case '×':
      return `${value.toFixed(2)}×`;
    case '%':
      return `${Math.round(value * 100)}%`;
    case 'µs':
      return `${Math.round(value).toLocaleString('en-US')} µs`;
  }
}

const WIDTH = 900;
const LABEL_WIDTH = 330;
const BAR_LEFT = LABEL_WIDTH + 10;
const BAR_AREA = 420;
/** Where a target's mark sits within the bar area: room on its right for a bar beyond it. */
const TARGET_AT = 0.6;
const ROW_HEIGHT = 54;
const BAR_HEIGHT = 18;
const TOP = 64;
const MET = '#2e7d32';
const NOT_MET = '#c62828';
const NOT_MEASURED = '#9e9e9e';

/** Renders `chart` as a standalone SVG document. */
export function renderChart(chart: Chart): string {
  const height = TOP + chart.figures.length * ROW_HEIGHT + 40;
  const rows = chart.figures.map((figure, index) => renderRow(figure, TOP + index * ROW_HEIGHT));
  const targetX = BAR_LEFT + BAR_AREA * TARGET_AT;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="13">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="26" font-size="17" font-weight="600" fill="#212121">${escapeXml(chart.title)}</text>`,
    `<text x="16" y="46" fill="#616161">${escapeXml(chart.subtitle)}</text>`,
    ...rows,
    `<line x1="${targetX}" y1="${TOP - 8}" x2="${targetX}" y2="${height - 30}" stroke="#424242" stroke-width="1" stroke-dasharray="4 3"/>`,
    `<text x="${targetX}" y="${height - 14}" text-anchor="middle" fill="#424242">target</text>`,
    `<text x="${WIDTH - 16}" y="${height - 14}" text-anchor="end" fill="#616161">bar length = measured / target (a cost: lower is better)</text>`,
    '</svg>',
    '',
  ].join('\n');
}

function renderRow(figure: ChartFigure, y: number): string {
  const met = meetsTarget(figure);
  const colour = met === undefined ? NOT_MEASURED : met ? MET : NOT_MET;
  const barY = y + 6;
  const parts = [
    `<g data-figure="${escapeXml(figure.label)}" data-met="${met === undefined ? 'not measured' : String(met)}">`,
    `<text x="16" y="${y + 14}" font-weight="600" fill="#212121">${escapeXml(figure.label)}</text>`,
    `<text x="16" y="${y + 32}" font-size="11" fill="#616161">${escapeXml(figure.detail)}</text>`,
    `<rect x="${BAR_LEFT}" y="${barY}" width="${BAR_AREA}" height="${BAR_HEIGHT}" fill="#f5f5f5"/>`,
  ];
  const target = formatFigureValue(figure.target, figure.unit);
  const goal = `${figure.direction === 'at-least' ? '≥' : '≤'} ${target}`;
  if (figure.value === undefined) {
    parts.push(
      `<text x="${BAR_LEFT + 8}" y="${barY + 13}" fill="${NOT_MEASURED}">not measured in this build</text>`,
      `<text x="${BAR_LEFT + BAR_AREA + 10}" y="${barY + 13}" fill="${NOT_MEASURED}">target ${escapeXml(goal)}</text>`,
    );
  } else {
    const relative = figure.target > 0 ? figure.value / figure.target : 0;
    const fullLength = BAR_AREA * TARGET_AT * relative;
    const length = Math.max(1, Math.min(BAR_AREA, fullLength));
    parts.push(
      `<rect x="${BAR_LEFT}" y="${barY}" width="${round(length)}" height="${BAR_HEIGHT}" fill="${colour}"/>`,
    );
    if (fullLength > BAR_AREA) {
      // Off the scale: a notch at the end says the bar goes on.
      const end = BAR_LEFT + BAR_AREA;
      parts.push(
        `<path d="M ${end - 10} ${barY} L ${end} ${barY + BAR_HEIGHT / 2} L ${end - 10} ${barY + BAR_HEIGHT} Z" fill="#ffffff"/>`,
      );
    }
    const verdict = met ? 'met' : 'NOT met';
    parts.push(
      `<text x="${BAR_LEFT + BAR_AREA + 10}" y="${barY + 13}" fill="${colour}" font-weight="600">${escapeXml(formatFigureValue(figure.value, figure.unit))}</text>`,
      `<text x="${BAR_LEFT + BAR_AREA + 10}" y="${barY + 29}" font-size="11" fill="#616161">${escapeXml(`${goal} · ${verdict}`)}</text>`,
    );
  }
  parts.push('</g>');
  return parts.join('\n');
}

function round(value: number): string {
  return value.toFixed(1);
}

/** Escapes text for SVG character data and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}
