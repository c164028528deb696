/**
 * The value a double takes when .NET converts it to `decimal` (`DecCalc.VarDecFromR8`).
 * Microsoft.IdentityModel writes a #double claim that is part of an array (a claim type
 * given more than once) with `WriteNumberValue((decimal)d)`, so in that position the value
 * is rounded to 15 significant digits (and to 28 decimal places); a lone #double is written
 * as the double itself. The arithmetic below is .NET's, step for step, in the same IEEE
 * doubles, so it rounds the same way.
 */

/** `s_doublePowers10`: 1e0 … 1e28 as doubles (the same literals .NET compiles). */
const POWERS_OF_TEN: readonly number[] = Array.from({ length: 29 }, (_, i) => Number(`1e${i}`));

/** The decimal's mantissa may hold 96 bits. */
const MAX_MANTISSA = 2n ** 96n - 1n;

/** The biased binary exponent of a double (`GetExponent`). */
function biasedExponent(value: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return (view.getUint16(0) >> 4) & 0x7ff;
}

/** `Math.Round(x)`: to the nearest integer, halves to even. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * `(decimal)value` read back as the nearest double, or undefined where .NET throws an
 * OverflowException (NaN, ±Infinity, or a magnitude of about 7.9e28 and more).
 */
export function doubleThroughDecimal(value: number): number | undefined {
  const exponent = biasedExponent(value) - 1022;
  // 2^-94 and smaller round to zero at 28 decimal places; the sign is dropped with it.
  if (exponent < -94) return 0;
  if (exponent > 96 || Number.isNaN(value)) return undefined;
  const negative = value < 0;
  let scaled = Math.abs(value);
  let power = 14 - ((exponent * 19728) >> 16);
  if (power >= 0) {
    if (power > 28) power = 28;
    scaled *= POWERS_OF_TEN[power] ?? 1;
  } else if (power !== -1 || scaled >= 1e15) {
    scaled /= POWERS_OF_TEN[-power] ?? 1;
  } else {
    power = 0;
  }
  if (scaled < 1e14 && power < 28) {
    scaled *= 10;
    power++;
  }
  const mantissa = roundHalfEven(scaled);
  if (mantissa === 0) return 0;
  let text: string;
  if (power < 0) {
    const whole = BigInt(mantissa) * 10n ** BigInt(-power);
    if (whole > MAX_MANTISSA) return undefined;
    text = whole.toString();
  } else {
    text = `${mantissa}e-${power}`;
  }
  const result = Number(text);
  return negative ? -result : result;
}
