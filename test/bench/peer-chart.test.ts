import { describe, expect, it } from 'vitest';
import {
  type Chart,
  type ChartFigure,
  escapeXml,
  formatFigureValue,
  meetsTarget,
  renderChart,
} from './peer-chart.js';

const ratio = (value: number | undefined, target: number): ChartFigure => ({
  label: `Vend ${value}`,
  value,
  target,
  direction: 'at-least',
  unit: '×',
  detail: '2,391/s vs 4,165/s',
});

const chart = (figures: readonly ChartFigure[]): Chart => ({
  title: 'tessera vs peer',
  subtitle: 'a run',
  figures,
});

/** The `data-met` of every row, in order. */
function verdicts(svg: string): string[] {
  return [...svg.matchAll(/data-met="([^"]*)"/g)].map((match) => match[1] ?? '');
}

describe('peer chart', () => {
  it('judges a ratio from below and a cost from above, and an unmeasured figure not at all', () => {
    expect(meetsTarget(ratio(1.5, 1.5))).toBe(true);
    expect(meetsTarget(ratio(1.49, 1.5))).toBe(false);
    const cost: ChartFigure = { ...ratio(370, 370), direction: 'at-most', unit: 'µs' };
    expect(meetsTarget(cost)).toBe(true);
    expect(meetsTarget({ ...cost, value: 371 })).toBe(false);
    expect(meetsTarget(ratio(undefined, 0.7))).toBeUndefined();
  });

  it('writes values in their unit', () => {
    expect(formatFigureValue(0.4517, '×')).toBe('0.45×');
    expect(formatFigureValue(1284.6, 'µs')).toBe('1,285 µs');
    expect(formatFigureValue(0.7, '%')).toBe('70%');
  });

  it('draws one row per figure with its verdict, colour and value', () => {
    const svg = renderChart(
      chart([
        ratio(3.19, 3),
        ratio(0.45, 1.3),
        { ...ratio(1285, 370), direction: 'at-most', unit: 'µs' },
        ratio(undefined, 0.7),
      ]),
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(verdicts(svg)).toEqual(['true', 'false', 'false', 'not measured']);
    expect(svg).toContain('3.19×');
    expect(svg).toContain('≥ 3.00× · met');
    expect(svg).toContain('≥ 1.30× · NOT met');
    expect(svg).toContain('≤ 370 µs · NOT met');
    expect(svg).toContain('not measured in this build');
    expect(svg).toContain('#2e7d32'); // met
    expect(svg).toContain('#c62828'); // not met
  });

  it('puts every target at the same place and scales each bar to its own target', () => {
    const svg = renderChart(chart([ratio(1.5, 1.5), ratio(0.75, 1.5), ratio(3, 3)]));
    const widths = [
      ...svg.matchAll(
        /<rect x="340" y="[\d.]+" width="([\d.]+)" height="18" fill="#(?:2e7d32|c62828)"/g,
      ),
    ].map((match) => Number(match[1]));
    expect(widths).toEqual([252, 126, 252]);
  });

  it('keeps a bar far beyond its target inside the chart, notched', () => {
    const svg = renderChart(chart([ratio(30, 1.5)]));
    expect(svg).toContain('width="420.0"');
    expect(svg).toContain('<path d="M 750');
  });

  it('escapes text, so a label cannot break the document', () => {
    expect(escapeXml(`<a & "b">'`)).toBe('&lt;a &amp; &quot;b&quot;&gt;&apos;');
    const svg = renderChart({ ...chart([{ ...ratio(1, 1), label: '<script>' }]), title: 'a & b' });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('a &amp; b');
  });

  it('renders the same figures to the same bytes', () => {
    const figures = [ratio(1.2, 1.5), ratio(undefined, 0.7)];
    expect(renderChart(chart(figures))).toBe(renderChart(chart(figures)));
  });
});
