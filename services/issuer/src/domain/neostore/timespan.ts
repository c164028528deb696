/**
 * .NET `TimeSpan` text, as Neostore reads its `validityDuration` query parameter:
 * `TimeSpan.Parse(text, CultureInfo.InvariantCulture)`, and the constant ("c") format .NET
 * prints. The parser reproduces .NET's own algorithm rather than a tidy grammar, because
 * .NET accepts more than its documentation says: text is split into numbers and the
 * separators between them, then matched against the invariant pattern
 * (`[-][d.]hh:mm[:ss[.fffffff]]`) and the invariant culture's "localized" pattern
 * (`[-]d:h:mm:ss.FFFFFFF`), in a fixed order, the first match whose fields are in range
 * winning. That is why `24:00:00` is 24 days (hours overflow, so `d:h:m` is tried next) and
 * `1:2:3:4` is 1 day 2 h 3 min 4 s.
 */
import { trimDotnetWhiteSpace } from './dotnet-white-space.js';

/** TimeSpan ticks (100 ns) in one millisecond. */
export const TICKS_PER_MILLISECOND = 10_000n;

const TICKS_PER_SECOND = 10_000_000n;
/** `TimeSpan.MaxValue.Ticks` (`long.MaxValue`). */
const MAX_TICKS = 2n ** 63n - 1n;
/** The magnitude of `TimeSpan.MinValue.Ticks`, one more than the maximum. */
const MIN_TICKS_MAGNITUDE = 2n ** 63n;
const MAX_MILLISECONDS = MAX_TICKS / TICKS_PER_MILLISECOND;
const MAX_DAYS = 10_675_199;
const MAX_HOURS = 23;
const MAX_MINUTES = 59;
const MAX_SECONDS = 59;
const MAX_FRACTION = 9_999_999;
const FRACTION_DIGITS = 7;
/** .NET's tokenizer gives up on a number of 2^28 or more (`num & 0xF0000000`). */
const NUMBER_TOKEN_LIMIT = 0x1000_0000;
const MAX_TOKENS = 11;
const MAX_SEPARATORS = 6;
const MAX_NUMBERS = 5;

/** A run of digits: its value without leading zeros, and how many leading zeros it had. */
interface NumberToken {
  readonly value: number;
  readonly zeroes: number;
}

const ZERO: NumberToken = { value: 0, zeroes: 0 };

/** The numbers of the text and the separators around them (first and last may be ''). */
interface RawTimeSpan {
  readonly numbers: readonly NumberToken[];
  readonly separators: readonly string[];
}

function isAsciiDigit(ch: string): boolean {
  return ch >= '0' && ch <= '9';
}

/**
 * Splits trimmed text the way `TimeSpanTokenizer` and `TimeSpanRawInfo` do: a separator is
 * any run of non-digits, an empty separator is implied before a leading number and after a
 * trailing one, and more than 5 numbers, 6 separators or 11 tokens is a failure.
 */
function tokenize(input: string): RawTimeSpan | undefined {
  const numbers: NumberToken[] = [];
  const separators: string[] = [];
  const addSeparator = (separator: string): boolean => {
    if (separators.length >= MAX_SEPARATORS || numbers.length + separators.length >= MAX_TOKENS) {
      return false;
    }
    separators.push(separator);
    return true;
  };
  let lastWasNumber = false;
  let pos = 0;
  while (pos < input.length) {
    if (isAsciiDigit(input.charAt(pos))) {
      let zeroes = 0;
      while (input.charAt(pos) === '0') {
        zeroes++;
        pos++;
      }
      let value = 0;
      while (pos < input.length && isAsciiDigit(input.charAt(pos))) {
        value = value * 10 + (input.charCodeAt(pos) - 48);
        pos++;
        if (value >= NUMBER_TOKEN_LIMIT) return undefined;
      }
      if (numbers.length + separators.length === 0 && !addSeparator('')) return undefined;
      if (numbers.length >= MAX_NUMBERS || numbers.length + separators.length >= MAX_TOKENS) {
        return undefined;
      }
      numbers.push({ value, zeroes });
      lastWasNumber = true;
    } else {
      let end = pos + 1;
      while (end < input.length && !isAsciiDigit(input.charAt(end))) end++;
      if (!addSeparator(input.slice(pos, end))) return undefined;
      pos = end;
      lastWasNumber = false;
    }
  }
  if (lastWasNumber && !addSeparator('')) return undefined;
  return { numbers, separators };
}

/** The separators of one TimeSpan pattern (after the sign, which both patterns share). */
interface PatternLiterals {
  readonly dayHour: string;
  readonly hourMinute: string;
  readonly minuteSecond: string;
  readonly secondFraction: string;
  /** `minuteSecond + secondFraction`: the legacy `h:m:.f` form. */
  readonly appCompat: string;
}

/** `[-][d.]hh:mm[:ss[.fffffff]]`. */
const INVARIANT: PatternLiterals = {
  dayHour: '.',
  hourMinute: ':',
  minuteSecond: ':',
  secondFraction: '.',
  appCompat: ':.',
};

/** The invariant culture's `FullTimeSpanPositivePattern`, `d':'h':'mm':'ss'.'FFFFFFF`. */
const LOCALIZED: PatternLiterals = { ...INVARIANT, dayHour: ':' };

type Field = 'days' | 'hours' | 'minutes' | 'seconds' | 'fraction';

/** One reading of N numbers: the separators expected between them and what each one is. */
interface Shape {
  readonly separators: (literals: PatternLiterals) => readonly string[];
  readonly fields: readonly Field[];
}

/**
 * Candidate readings by count of numbers, in .NET's order (`ProcessTerminal_*`). The final
 * separator is always the empty end literal.
 */
const SHAPES: Readonly<Record<number, readonly Shape[]>> = {
  1: [{ separators: () => [''], fields: ['days'] }],
  2: [{ separators: (l) => [l.hourMinute, ''], fields: ['hours', 'minutes'] }],
  3: [
    {
      separators: (l) => [l.hourMinute, l.minuteSecond, ''],
      fields: ['hours', 'minutes', 'seconds'],
    },
    { separators: (l) => [l.dayHour, l.hourMinute, ''], fields: ['days', 'hours', 'minutes'] },
    {
      separators: (l) => [l.hourMinute, l.appCompat, ''],
      fields: ['hours', 'minutes', 'fraction'],
    },
  ],
  4: [
    {
      separators: (l) => [l.hourMinute, l.minuteSecond, l.secondFraction, ''],
      fields: ['hours', 'minutes', 'seconds', 'fraction'],
    },
    {
      separators: (l) => [l.dayHour, l.hourMinute, l.minuteSecond, ''],
      fields: ['days', 'hours', 'minutes', 'seconds'],
    },
    {
      separators: (l) => [l.dayHour, l.hourMinute, l.appCompat, ''],
      fields: ['days', 'hours', 'minutes', 'fraction'],
    },
  ],
  5: [
    {
      separators: (l) => [l.dayHour, l.hourMinute, l.minuteSecond, l.secondFraction, ''],
      fields: ['days', 'hours', 'minutes', 'seconds', 'fraction'],
    },
  ],
};

function countDigits(value: number): number {
  return String(value).length;
}

/**
 * `NormalizeAndValidateFraction`: scales the fraction to 7 digits (ticks). More than 7 digits
 * fail only when the first is not a zero; with leading zeros they are rounded half away from
 * zero, so `.01234567` is accepted as 123457 ticks.
 */
function fractionTicks(token: NumberToken): number | undefined {
  if (token.value === 0) return 0;
  if (token.zeroes === 0 && token.value > MAX_FRACTION) return undefined;
  const digits = countDigits(token.value) + token.zeroes;
  if (digits === FRACTION_DIGITS) return token.value;
  if (digits < FRACTION_DIGITS) return token.value * 10 ** (FRACTION_DIGITS - digits);
  return Math.round(token.value / 10 ** (digits - FRACTION_DIGITS));
}

/**
 * `TryTimeToTicks`: the magnitude in ticks, or undefined when a field is out of range or the
 * total does not fit a `long` (for a positive span; a negative one is checked by the caller).
 */
function timeToTicks(
  positive: boolean,
  fields: Readonly<Record<Field, NumberToken>>,
): bigint | undefined {
  if (
    fields.days.value > MAX_DAYS ||
    fields.hours.value > MAX_HOURS ||
    fields.minutes.value > MAX_MINUTES ||
    fields.seconds.value > MAX_SECONDS
  ) {
    return undefined;
  }
  const fraction = fractionTicks(fields.fraction);
  if (fraction === undefined) return undefined;
  const seconds =
    BigInt(fields.days.value) * 86_400n +
    BigInt(fields.hours.value) * 3_600n +
    BigInt(fields.minutes.value) * 60n +
    BigInt(fields.seconds.value);
  const milliseconds = seconds * 1_000n;
  if (milliseconds > MAX_MILLISECONDS) return undefined;
  const ticks = milliseconds * TICKS_PER_MILLISECOND + BigInt(fraction);
  // .NET computes in a long and rejects a positive total that wrapped negative.
  if (positive && ticks > MAX_TICKS) return undefined;
  return ticks;
}

/**
 * Parses `text` as `TimeSpan.Parse(text, CultureInfo.InvariantCulture)` does and returns the
 * span in ticks (100 ns), or undefined where .NET throws a FormatException or an
 * OverflowException.
 */
export function parseTimeSpanTicks(text: string): bigint | undefined {
  const input = trimDotnetWhiteSpace(text);
  if (input === '') return undefined;
  const raw = tokenize(input);
  if (raw === undefined) return undefined;
  const [sign, ...rest] = raw.separators;
  // Both patterns start with '' (positive) or '-' (negative); '+' is no sign in either.
  if (sign !== '' && sign !== '-') return undefined;
  const positive = sign === '';
  const shapes = SHAPES[raw.numbers.length] ?? [];
  for (const literals of [INVARIANT, LOCALIZED]) {
    for (const shape of shapes) {
      const expected = shape.separators(literals);
      if (expected.length !== rest.length || expected.some((s, i) => s !== rest[i])) continue;
      const fields: Record<Field, NumberToken> = {
        days: ZERO,
        hours: ZERO,
        minutes: ZERO,
        seconds: ZERO,
        fraction: ZERO,
      };
      shape.fields.forEach((field, i) => {
        fields[field] = raw.numbers[i] ?? ZERO;
      });
      const ticks = timeToTicks(positive, fields);
      if (ticks === undefined) continue;
      if (positive) return ticks;
      // Negating in a long: only TimeSpan.MinValue itself survives a wrapped magnitude.
      return ticks > MIN_TICKS_MAGNITUDE ? undefined : -ticks;
    }
  }
  return undefined;
}

/** Ticks as milliseconds: exact to the millisecond, the fraction carrying the sub-ms ticks. */
export function ticksToMilliseconds(ticks: bigint): number {
  const whole = ticks / TICKS_PER_MILLISECOND;
  const rest = ticks % TICKS_PER_MILLISECOND;
  return Number(whole) + Number(rest) / Number(TICKS_PER_MILLISECOND);
}

/**
 * Parses `text` as `TimeSpan.Parse(text, CultureInfo.InvariantCulture)` does and returns the
 * span in milliseconds (sub-millisecond ticks as a fraction), or undefined where .NET throws.
 */
export function parseTimeSpan(text: string): number | undefined {
  const ticks = parseTimeSpanTicks(text);
  return ticks === undefined ? undefined : ticksToMilliseconds(ticks);
}

function twoDigits(value: bigint): string {
  return value.toString().padStart(2, '0');
}

/** Formats ticks in .NET's constant ("c") format: `[-][d.]hh:mm:ss[.fffffff]`. */
export function formatTimeSpanTicks(ticks: bigint): string {
  const negative = ticks < 0n;
  const magnitude = negative ? -ticks : ticks;
  const fraction = magnitude % TICKS_PER_SECOND;
  const totalSeconds = magnitude / TICKS_PER_SECOND;
  const totalMinutes = totalSeconds / 60n;
  const totalHours = totalMinutes / 60n;
  const days = totalHours / 24n;
  const sign = negative ? '-' : '';
  const dayPart = days > 0n ? `${days}.` : '';
  const time = `${twoDigits(totalHours % 24n)}:${twoDigits(totalMinutes % 60n)}:${twoDigits(totalSeconds % 60n)}`;
  const fractionPart =
    fraction > 0n ? `.${fraction.toString().padStart(FRACTION_DIGITS, '0')}` : '';
  return `${sign}${dayPart}${time}${fractionPart}`;
}

/**
 * Formats a duration in milliseconds in .NET's constant ("c") format,
 * `[-][d.]hh:mm:ss[.fffffff]`; a fraction of a millisecond is rounded to whole ticks.
 * Throws a RangeError for a value that is not a finite number.
 */
export function formatTimeSpan(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not a finite duration: ${ms}`);
  const magnitude = Math.abs(ms);
  const whole = Math.trunc(magnitude);
  const ticks =
    BigInt(whole) * TICKS_PER_MILLISECOND +
    BigInt(Math.round((magnitude - whole) * Number(TICKS_PER_MILLISECOND)));
  return formatTimeSpanTicks(ms < 0 ? -ticks : ticks);
}
