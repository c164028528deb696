/**
 * .NET's number parsing with the invariant culture, as the claim value conversion of
 * Microsoft.IdentityModel uses it: `int.TryParse(value, NumberStyles.Any, Invariant)` and
 * `double.TryParse(value, NumberStyles.Any, Invariant)` for #integer/#integer32/#double, and
 * `long.TryParse(value)` (NumberStyles.Integer) for #integer64. `NumberStyles.Any` is far
 * looser than JSON: it takes thousands separators, a currency sign, parentheses for a
 * negative, a trailing sign and an exponent, even for an integer. This reproduces
 * `Number.TryParseNumber` step by step, with the invariant symbols (`+`, `-`, `.`, `,`, `¤`).
 */

import { trimDotnetWhiteSpace } from './dotnet-white-space.js';

/** `Number.IsWhite`: only space and U+0009–U+000D, unlike `char.IsWhiteSpace`. */
function isWhite(ch: string): boolean {
  return ch === ' ' || (ch >= '\t' && ch <= '\r');
}

function isDigit(ch: string): boolean {
  return ch >= '0' && ch <= '9';
}

/** `TrailingZeros`: .NET accepts NUL characters after a number, and nothing else. */
function onlyNulsFrom(text: string, index: number): boolean {
  for (let i = index; i < text.length; i++) if (text.charAt(i) !== '\0') return false;
  return true;
}

const STATE_SIGN = 0x01;
const STATE_PARENS = 0x02;
const STATE_DIGITS = 0x04;
const STATE_NON_ZERO = 0x08;
const STATE_DECIMAL = 0x10;
const STATE_CURRENCY = 0x20;

/** The invariant culture's currency symbol. */
const CURRENCY_SYMBOL = '\u00a4';

/** Exponents beyond this are pinned to 9999, as .NET does, so huge ones stay cheap. */
const EXPONENT_CAP = 1000;

/** A parsed number: `±0.digits × 10^scale`, like .NET's NumberBuffer. */
export interface ScannedNumber {
  readonly negative: boolean;
  /** Significant digits, no leading zeros; '' for zero. */
  readonly digits: string;
  readonly scale: number;
}

/**
 * `Number.TryStringToNumber` with `NumberStyles.Any` and the invariant culture. For
 * `integer` the digits are kept as .NET's integer NumberBuffer keeps them: at most
 * `maxDigits`, later digits dropped, and trailing zeros not counted as digits.
 */
export function scanNumberAny(
  text: string,
  kind: { readonly integer: false } | { readonly integer: true; readonly maxDigits: number },
): ScannedNumber | undefined {
  const at = (i: number): string => (i < text.length ? text.charAt(i) : '\0');
  let state = 0;
  let negative = false;
  let currencyAvailable = true;
  let i = 0;
  let ch = at(i);

  // Leading signs, '(' and currency symbol; white space is skipped except right after a
  // sign that no currency symbol followed (the invariant NumberNegativePattern is 1).
  for (;;) {
    const skipWhite =
      isWhite(ch) && !((state & STATE_SIGN) !== 0 && (state & STATE_CURRENCY) === 0);
    if (!skipWhite) {
      if ((state & STATE_SIGN) === 0 && (ch === '+' || ch === '-')) {
        state |= STATE_SIGN;
        if (ch === '-') negative = true;
      } else if (ch === '(' && (state & STATE_SIGN) === 0) {
        state |= STATE_SIGN | STATE_PARENS;
        negative = true;
      } else if (currencyAvailable && ch === CURRENCY_SYMBOL) {
        state |= STATE_CURRENCY;
        currencyAvailable = false;
      } else {
        break;
      }
    }
    ch = at(++i);
  }

  const maxDigits = kind.integer ? kind.maxDigits : Number.POSITIVE_INFINITY;
  let stored = '';
  let digitCount = 0;
  let digitEnd = 0;
  let scale = 0;
  for (;;) {
    if (isDigit(ch)) {
      state |= STATE_DIGITS;
      if (ch !== '0' || (state & STATE_NON_ZERO) !== 0) {
        if (digitCount < maxDigits) {
          stored += ch;
          if (ch !== '0' || !kind.integer) digitEnd = digitCount + 1;
        }
        if ((state & STATE_DECIMAL) === 0) scale++;
        digitCount++;
        state |= STATE_NON_ZERO;
      } else if ((state & STATE_DECIMAL) !== 0) {
        scale--;
      }
    } else if ((state & STATE_DECIMAL) === 0 && ch === '.') {
      state |= STATE_DECIMAL;
    } else if ((state & STATE_DIGITS) !== 0 && (state & STATE_DECIMAL) === 0 && ch === ',') {
      // Group separators are skipped anywhere in the integer part once a digit was seen.
    } else {
      break;
    }
    ch = at(++i);
  }
  if ((state & STATE_DIGITS) === 0) return undefined;

  if (ch === 'e' || ch === 'E') {
    const mark = i;
    ch = at(++i);
    let negativeExponent = false;
    if (ch === '+') {
      ch = at(++i);
    } else if (ch === '-') {
      negativeExponent = true;
      ch = at(++i);
    }
    if (isDigit(ch)) {
      let exponent = 0;
      do {
        exponent = exponent * 10 + (ch.charCodeAt(0) - 48);
        ch = at(++i);
        if (exponent > EXPONENT_CAP) {
          exponent = 9999;
          while (isDigit(ch)) ch = at(++i);
        }
      } while (isDigit(ch));
      scale += negativeExponent ? -exponent : exponent;
    } else {
      // An 'e' without digits is not an exponent; it is left for the trailing checks.
      i = mark;
      ch = at(i);
    }
  }

  // Trailing white space, sign, ')' and currency symbol.
  for (;;) {
    if (!isWhite(ch)) {
      if ((state & STATE_SIGN) === 0 && (ch === '+' || ch === '-')) {
        state |= STATE_SIGN;
        if (ch === '-') negative = true;
      } else if (ch === ')' && (state & STATE_PARENS) !== 0) {
        state &= ~STATE_PARENS;
      } else if (currencyAvailable && ch === CURRENCY_SYMBOL) {
        currencyAvailable = false;
      } else {
        break;
      }
    }
    ch = at(++i);
  }
  if ((state & STATE_PARENS) !== 0) return undefined;
  if (!onlyNulsFrom(text, i)) return undefined;
  if ((state & STATE_NON_ZERO) === 0) {
    // Zero: an integer without a decimal point loses its sign; a double keeps it (-0).
    return {
      negative: kind.integer && (state & STATE_DECIMAL) === 0 ? false : negative,
      digits: '',
      scale: 0,
    };
  }
  return { negative, digits: stored.slice(0, digitEnd), scale };
}

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** `int.MaxValue` has 10 digits: .NET's integer NumberBuffer holds that many. */
const INT32_DIGITS = 10;

/**
 * `int.TryParse(value, NumberStyles.Any, CultureInfo.InvariantCulture)`. A decimal point and
 * an exponent are allowed when the value is whole (`1.0`, `1e3`, `1.5e1`; not `1.5`), and
 * digits past the tenth significant one are never looked at, so `1.00000000001` is 1.
 */
export function parseInt32Any(text: string): number | undefined {
  const scanned = scanNumberAny(text, { integer: true, maxDigits: INT32_DIGITS });
  if (scanned === undefined) return undefined;
  const { digits, scale } = scanned;
  if (scale > INT32_DIGITS || scale < digits.length) return undefined;
  const magnitude = digits === '' ? 0n : BigInt(digits.padEnd(scale, '0'));
  const value = scanned.negative ? -magnitude : magnitude;
  if (value < INT32_MIN || value > INT32_MAX) return undefined;
  return Number(value);
}

/**
 * `double.TryParse(value, NumberStyles.Any, CultureInfo.InvariantCulture)`: the nearest
 * double (both .NET Core 3.0+ and JavaScript round correctly), ±Infinity when it overflows,
 * and the symbols `Infinity`, `-Infinity`, `NaN` (optionally signed, any letter case, with
 * surrounding white space) when the text is no number.
 */
export function parseDoubleAny(text: string): number | undefined {
  const scanned = scanNumberAny(text, { integer: false });
  if (scanned !== undefined) {
    if (scanned.digits === '') return scanned.negative ? -0 : 0;
    return Number(`${scanned.negative ? '-' : ''}0.${scanned.digits}e${scanned.scale}`);
  }
  const symbol = asciiLower(trimDotnetWhiteSpace(text));
  if (symbol === 'infinity' || symbol === '+infinity') return Number.POSITIVE_INFINITY;
  if (symbol === '-infinity') return Number.NEGATIVE_INFINITY;
  if (symbol === 'nan' || symbol === '+nan' || symbol === '-nan') return Number.NaN;
  return undefined;
}

/** Lower-cases ASCII letters only, as an ordinal case-insensitive comparison of ASCII does. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/**
 * `long.TryParse(value)` (NumberStyles.Integer): optional white space, one optional sign
 * directly before the digits, digits only, optional white space, then only NUL characters.
 */
export function parseInt64Integer(text: string): bigint | undefined {
  let i = 0;
  while (i < text.length && isWhite(text.charAt(i))) i++;
  let negative = false;
  const sign = text.charAt(i);
  if (sign === '-' || sign === '+') {
    negative = sign === '-';
    i++;
  }
  const start = i;
  while (i < text.length && isDigit(text.charAt(i))) i++;
  if (i === start) return undefined;
  const magnitude = BigInt(text.slice(start, i));
  while (i < text.length && isWhite(text.charAt(i))) i++;
  if (!onlyNulsFrom(text, i)) return undefined;
  const value = negative ? -magnitude : magnitude;
  if (value < INT64_MIN || value > INT64_MAX) return undefined;
  return value;
}
