import { describe, expect, it } from 'vitest';
import { serialLimit } from './load.js';
import { medianOfLimit, streamFigure } from './stream-figure.js';

describe('serialLimit', () => {
  it('adds the costs of the parts: 1 / (1/20,000 + 1/5,000) = 4,000', () => {
    expect(serialLimit({ opsPerSecond: 20_000 }, { opsPerSecond: 5_000 })).toBeCloseTo(4_000, 9);
  });

  it('is the throughput itself for one part', () => {
    expect(serialLimit({ opsPerSecond: 12_345 })).toBeCloseTo(12_345, 9);
  });
});

describe('streamFigure', () => {
  const figure = streamFigure(
    'Vend, gRPC over the stream transport',
    { opsPerSecond: 3_000, p99Us: 41_500 },
    { opsPerSecond: 20_000 },
    { name: 'ES256 sign', opsPerSecond: 5_000 },
  );

  it('carries the measured throughput and p99', () => {
    expect(figure.label).toBe('Vend, gRPC over the stream transport');
    expect(figure.opsPerSecond).toBe(3_000);
    expect(figure.p99Us).toBe(41_500);
  });

  it('limits at 1 / (stream echo cost + work cost)', () => {
    expect(figure.limitOpsPerSecond).toBeCloseTo(4_000, 9);
  });

  it('says what the limit is made of, each cost per call', () => {
    expect(figure.limit).toBe('1 / (stream echo 50.0 µs + ES256 sign 200 µs) = 4,000/s');
  });

  it("reports the round with the median share of its limit, and every round's share", () => {
    const round = (opsPerSecond: number) =>
      streamFigure(
        'Vend, gRPC over the stream transport',
        { opsPerSecond, p99Us: 1_000 },
        { opsPerSecond: 20_000 },
        { name: 'ES256 sign', opsPerSecond: 5_000 },
      );
    const median = medianOfLimit([round(3_600), round(2_000), round(3_000)]);
    expect(median.opsPerSecond).toBe(3_000);
    expect(median.roundShares).toEqual([0.9, 0.5, 0.75]);
    expect(() => medianOfLimit([])).toThrow();
  });
});
