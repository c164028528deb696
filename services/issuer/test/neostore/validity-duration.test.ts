import { isTesseraError, type TesseraError } from '@tessera/errors';
import { describe, expect, it } from 'vitest';
import { NEOSTORE_DEFAULT_VALIDITY_MS, resolveValidity } from '../../src/domain/neostore/index.js';

const DAY = 86_400_000;
const limits = { defaultMs: NEOSTORE_DEFAULT_VALIDITY_MS, maximumMs: 30 * DAY };

function thrown(run: () => unknown): TesseraError {
  try {
    run();
  } catch (error) {
    if (isTesseraError(error)) return error;
    throw error;
  }
  throw new Error('expected a TesseraError');
}

describe('resolveValidity', () => {
  it("takes Neostore's documented default, 3650.00:00:00", () => {
    expect(NEOSTORE_DEFAULT_VALIDITY_MS).toBe(3650 * DAY);
    const generous = { defaultMs: NEOSTORE_DEFAULT_VALIDITY_MS, maximumMs: 4000 * DAY };
    expect(resolveValidity(undefined, generous)).toBe(3650 * DAY);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
  ] as const)('caps the default to the maximum when %s', (_case, text) => {
    expect(resolveValidity(text, limits)).toBe(30 * DAY);
  });

  it.each([
    ['one day', '1.00:00:00', DAY],
    ['a bare integer is days', '2', 2 * DAY],
    ['24:00:00 is 24 days, as .NET reads it', '24:00:00', 24 * DAY],
    ['exactly the maximum', '30.00:00:00', 30 * DAY],
    ['a fraction of a second', '00:00:00.5', 500],
  ] as const)('accepts %s (%j)', (_case, text, ms) => {
    expect(resolveValidity(text, limits)).toBe(ms);
  });

  it.each([
    ['not a TimeSpan', '1 day'],
    ['white space only', '   '],
    ['an overflow', '10675200'],
    ['a "+" sign', '+1'],
  ] as const)('refuses %s (%j) as INVALID_ARGUMENT', (_case, text) => {
    const error = thrown(() => resolveValidity(text, limits));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.field).toBe('validityDuration');
  });

  it.each([
    ['zero', '00:00:00'],
    ['zero days', '0'],
    ['negative', '-1'],
    ['negative zero', '-0'],
  ] as const)('refuses %s (%j): a token must live', (_case, text) => {
    const error = thrown(() => resolveValidity(text, limits));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.field).toBe('validityDuration');
  });

  it('refuses one tick over the maximum and names the maximum in TimeSpan format', () => {
    const error = thrown(() => resolveValidity('30.00:00:00.0000001', limits));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.field).toBe('validityDuration');
    expect(error.metadata).toEqual({ maximum: '30.00:00:00' });
  });
});
