import { describe, expect, it } from 'vitest';
import {
  formatTimeSpan,
  formatTimeSpanTicks,
  parseTimeSpan,
  parseTimeSpanTicks,
} from '../../src/domain/neostore/index.js';

/**
 * Each row: the .NET rule it pins, the text given to
 * `TimeSpan.Parse(text, CultureInfo.InvariantCulture)`, and the result in .NET's "c" format,
 * or null where .NET throws (FormatException or OverflowException).
 */
const rows: ReadonlyArray<readonly [rule: string, text: string, expected: string | null]> = [
  // The invariant pattern [-][d.]hh:mm[:ss[.fffffff]] and its optional parts.
  ['a bare integer is days', '1', '1.00:00:00'],
  ['zero days', '0', '00:00:00'],
  ['two numbers are h:m', '1:2', '01:02:00'],
  ['three numbers joined by ":" are h:m:s', '01:02:03', '01:02:03'],
  ['d.h:m (invariant day separator ".")', '1.02:03', '1.02:03:00'],
  ['d.h:m with single-digit fields', '1.2:3', '1.02:03:00'],
  ['d.h:m:s', '1.02:03:04', '1.02:03:04'],
  ['h:m:s.f', '01:02:03.5', '01:02:03.5000000'],
  ['d.h:m:s.f, all five parts', '1.02:03:04.5', '1.02:03:04.5000000'],
  ["Neostore's documented default", '3650.00:00:00', '3650.00:00:00'],
  ["Neostore's 30-day example", '30.00:00:00', '30.00:00:00'],
  ['the largest plain h:m:s', '23:59:59', '23:59:59'],
  ['leading zeros of a field are ignored', '00000000000001:02', '01:02:00'],

  // Fractions of a second: 1 to 7 digits are tenths … ticks.
  ['one fraction digit is tenths of a second', '0:0:0.5', '00:00:00.5000000'],
  ['seven fraction digits are ticks', '0:0:0.1234567', '00:00:00.1234567'],
  ['the smallest fraction, one tick', '0:0:0.0000001', '00:00:00.0000001'],
  ['8 fraction digits without a leading zero overflow', '0:0:0.12345678', null],
  ['8+ digits with a leading zero are rounded to ticks', '0:0:0.01234567', '00:00:00.0123457'],
  ['rounding of extra digits is half away from zero', '0:0:0.00000005', '00:00:00.0000001'],
  ['extra digits below half a tick round to zero', '0:0:0.00000004', '00:00:00'],

  // The invariant culture's second pattern, d:h:mm:ss.FFFFFFF, tried after the first.
  ['24:00:00 overflows hours, so it is read as d:h:m', '24:00:00', '24.00:00:00'],
  ['four numbers joined by ":" are d:h:m:s', '1:2:3:4', '1.02:03:04'],
  ['d:h:m:s.f', '1:2:3:4.5', '1.02:03:04.5000000'],
  ['a:b:c with minutes over 59 has no reading', '1:60:00', null],
  ['a:b:c with seconds over 59 has no reading', '0:0:60', null],

  // The legacy "app compat" forms with ":." before the fraction.
  ['h:m:.f', '1:2:.5', '01:02:00.5000000'],
  ['d.h:m:.f', '1.2:3:.5', '1.02:03:00.5000000'],
  ['d:h:m:.f', '1:2:3:.5', '1.02:03:00.5000000'],

  // Sign and white space.
  ['a leading "-" negates', '-1', '-1.00:00:00'],
  ['negative h:m', '-1:30', '-01:30:00'],
  ['negative zero is zero', '-0', '00:00:00'],
  ['"+" is not a sign in either pattern', '+1', null],
  ['white space between "-" and the number is a bad separator', '- 1', null],
  ['surrounding spaces are trimmed', ' 1:00 ', '01:00:00'],
  ['tabs and line breaks are trimmed', '\t\n1\r\n', '1.00:00:00'],
  ['Unicode spaces (char.IsWhiteSpace) are trimmed', '\u00a01\u3000', '1.00:00:00'],
  ['U+0085 is white space to .NET', '\u00851', '1.00:00:00'],
  ['U+FEFF is not white space to .NET', '\ufeff1', null],

  // Limits of TimeSpan (MaxValue 10675199.02:48:05.4775807, MinValue one tick further).
  ['the most days a field may hold', '10675199', '10675199.00:00:00'],
  ['one day more overflows', '10675200', null],
  ['TimeSpan.MaxValue', '10675199.02:48:05.4775807', '10675199.02:48:05.4775807'],
  ['one tick over MaxValue overflows', '10675199.02:48:05.4775808', null],
  ['one second over MaxValue overflows', '10675199.02:48:06', null],
  [
    'TimeSpan.MinValue (one tick more than -MaxValue)',
    '-10675199.02:48:05.4775808',
    '-10675199.02:48:05.4775808',
  ],
  ['one tick under MinValue overflows', '-10675199.02:48:05.4775809', null],
  ['a number of 2^28 or more overflows the tokenizer', '268435456', null],

  // Field ranges.
  ['h:m allows no more than 23 hours (no d:h reading)', '24:00', null],
  ['minutes stop at 59', '23:60', null],
  ['hours after a day stop at 23', '1.24:00', null],

  // Shapes that match no pattern.
  ['empty text', '', null],
  ['white space only', '   ', null],
  ['"." between two numbers is no h:m', '1.2', null],
  ['a trailing separator', '1:2:', null],
  ['a leading ":"', ':1:2', null],
  ['a doubled separator', '1::2', null],
  ['five numbers need "." before the fraction', '1:2:3:4:5', null],
  ['six numbers', '1.2:3:4.5.6', null],
  ['a trailing "." with no fraction', '1:2:3.', null],
  ['a unit word', '1 day', null],
  ['a comma is no decimal separator', '0:0:1,5', null],
  ['full-width digits are not digits', '\uff11', null],
  ['an ISO 8601 duration', 'P1D', null],
  ['a lone sign', '-', null],
];

describe('parseTimeSpanTicks pins TimeSpan.Parse(text, InvariantCulture)', () => {
  it.each(rows)('%s: %j', (_rule, text, expected) => {
    const ticks = parseTimeSpanTicks(text);
    expect(ticks === undefined ? null : formatTimeSpanTicks(ticks)).toBe(expected);
  });

  it.each(rows.filter((row) => row[2] !== null))('round-trips its "c" form: %s', (_r, text) => {
    const ticks = parseTimeSpanTicks(text);
    expect(ticks).toBeDefined();
    expect(parseTimeSpanTicks(formatTimeSpanTicks(ticks ?? 0n))).toBe(ticks);
  });

  it('gives the exact tick counts of MaxValue and MinValue', () => {
    expect(parseTimeSpanTicks('10675199.02:48:05.4775807')).toBe(2n ** 63n - 1n);
    expect(parseTimeSpanTicks('-10675199.02:48:05.4775808')).toBe(-(2n ** 63n));
  });
});

describe('parseTimeSpan (milliseconds)', () => {
  it.each([
    ['one day', '1.00:00:00', 86_400_000],
    ['the Neostore default', '3650.00:00:00', 315_360_000_000],
    ['a fraction below a millisecond is kept', '0:0:0.0001', 0.1],
    ['negative', '-00:00:01', -1000],
    ['negative zero is plain zero', '-0', 0],
  ] as const)('%s: %j', (_rule, text, ms) => {
    expect(Object.is(parseTimeSpan(text), ms)).toBe(true);
  });

  it('is undefined where .NET throws', () => {
    expect(parseTimeSpan('1 day')).toBeUndefined();
  });
});

describe('formatTimeSpan prints the constant ("c") format', () => {
  it.each([
    ['zero', 0, '00:00:00'],
    ['seconds only', 1000, '00:00:01'],
    ['whole days get "d."', 86_400_000, '1.00:00:00'],
    ['the Neostore default', 315_360_000_000, '3650.00:00:00'],
    ['milliseconds as 7 fraction digits', 123, '00:00:00.1230000'],
    ['a fraction of a millisecond in ticks', 1.5, '00:00:00.0015000'],
    ['negative', -90_000, '-00:01:30'],
  ] as const)('%s: %d ms', (_rule, ms, text) => {
    expect(formatTimeSpan(ms)).toBe(text);
  });

  it('refuses a value that is not a finite number', () => {
    expect(() => formatTimeSpan(Number.NaN)).toThrow(RangeError);
  });
});
