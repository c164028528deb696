/**
 * JSON and JSON_ARRAY claim values. Microsoft.IdentityModel (7.x and later) parses either one
 * into a `JsonElement` (any JSON value: an object, an array, a scalar) and writes it back
 * verbatim, number literals included. The payload here is serialized with `JSON.stringify`,
 * through IEEE doubles, so a value is embedded only when that round trip keeps every number's
 * value; otherwise (e.g. an integer beyond 2^53, or `1e400`) the claim keeps its text.
 */

import { withoutTrailingZeros } from './trailing-zeros.js';

/** `Utf8JsonReader`'s default maximum nesting depth; deeper documents fail to parse. */
const MAX_DEPTH = 64;

const NUMBER_LITERAL = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * A decimal numeral in a canonical form (`digits e exponent`, no leading or trailing zeros),
 * so two numerals compare equal exactly when their values are equal; undefined for text that
 * is no numeral (`Infinity`, `NaN`).
 */
function canonicalDecimal(text: string): string | undefined {
  const match = DECIMAL.exec(text);
  if (match === null) return undefined;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  let digits = `${whole}${fraction}`.replace(/^0+/, '');
  let scale = BigInt(exponent) - BigInt(fraction.length);
  if (digits === '') return '0';
  const significant = withoutTrailingZeros(digits);
  scale += BigInt(digits.length - significant.length);
  digits = significant;
  return `${sign}${digits}e${scale}`;
}

/** True when `JSON.stringify(JSON.parse(literal))` has the value the literal has. */
function survivesDoubles(literal: string): boolean {
  const expected = canonicalDecimal(literal);
  const actual = canonicalDecimal(String(Number(literal)));
  return expected !== undefined && expected === actual;
}

/**
 * Walks valid JSON text outside its strings: checks the nesting depth and that every number
 * literal survives a round trip through a double.
 */
function isCarriedExactly(json: string): boolean {
  let depth = 0;
  let i = 0;
  while (i < json.length) {
    const ch = json.charAt(i);
    if (ch === '"') {
      i++;
      while (i < json.length && json.charAt(i) !== '"') i += json.charAt(i) === '\\' ? 2 : 1;
      i++;
    } else if (ch === '[' || ch === '{') {
      depth++;
      if (depth > MAX_DEPTH) return false;
      i++;
    } else if (ch === ']' || ch === '}') {
      depth--;
      i++;
    } else if (ch === '-' || (ch >= '0' && ch <= '9')) {
      NUMBER_LITERAL.lastIndex = i;
      const literal = NUMBER_LITERAL.exec(json)?.[0] ?? ch;
      if (!survivesDoubles(literal)) return false;
      i += literal.length;
    } else {
      i++;
    }
  }
  return true;
}

/**
 * The JSON value of a JSON or JSON_ARRAY claim, or undefined when the text is not JSON (RFC
 * 8259, no comments or trailing commas, at most 64 levels deep) or holds a number that
 * `JSON.stringify` would not reproduce.
 */
export function parseJsonClaim(text: string): { readonly value: unknown } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isCarriedExactly(text) ? { value } : undefined;
}
