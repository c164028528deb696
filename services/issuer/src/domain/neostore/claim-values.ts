/**
 * Neostore claim values: each `{value, valueType}` becomes the JSON value that
 * Microsoft.IdentityModel's `TokenUtilities.GetClaimValueUsingValueType` puts in a JWT
 * payload (what `JwtPayload.AddClaims` and `JsonWebTokenHandler` use), followed by how its
 * JSON writer emits that value.
 *
 * One rule beyond .NET's: the payload is serialized with `JSON.stringify`, so a value that
 * a JavaScript number or JSON value cannot carry exactly keeps its original text, as a value
 * that does not parse does. That covers an #integer64 beyond ±(2^53 − 1), a JSON document
 * with such a number, and a #double of NaN or ±Infinity (which .NET parses but then fails to
 * write, failing the whole request).
 */
import { doubleThroughDecimal } from './dotnet-decimal.js';
import { asciiLower, parseDoubleAny, parseInt32Any, parseInt64Integer } from './dotnet-number.js';
import { trimDotnetWhiteSpaceAndNull } from './dotnet-white-space.js';
import { toUtcIsoDateTime } from './iso-date-time.js';
import { parseJsonClaim } from './json-claim.js';

/** The claim value types Neostore honours (`System.Security.Claims.ClaimValueTypes` + JSON). */
export const CLAIM_VALUE_TYPES = Object.freeze({
  string: 'http://www.w3.org/2001/XMLSchema#string',
  boolean: 'http://www.w3.org/2001/XMLSchema#boolean',
  integer: 'http://www.w3.org/2001/XMLSchema#integer',
  integer32: 'http://www.w3.org/2001/XMLSchema#integer32',
  integer64: 'http://www.w3.org/2001/XMLSchema#integer64',
  double: 'http://www.w3.org/2001/XMLSchema#double',
  dateTime: 'http://www.w3.org/2001/XMLSchema#dateTime',
  json: 'JSON',
  jsonArray: 'JSON_ARRAY',
  jsonNull: 'JSON_NULL',
} as const);

/**
 * `bool.TryParse`: "true" or "false" in any letter case, after trimming white space and NUL
 * characters from both ends.
 */
function parseBoolean(value: string): boolean | undefined {
  const word = asciiLower(trimDotnetWhiteSpaceAndNull(value));
  if (word === 'true') return true;
  if (word === 'false') return false;
  return undefined;
}

/** `long.TryParse`, kept only when a JavaScript number holds it exactly. */
function parseSafeInt64(value: string): number | undefined {
  const parsed = parseInt64Integer(value);
  if (parsed === undefined) return undefined;
  const number = Number(parsed);
  return Number.isSafeInteger(number) ? number : undefined;
}

/** A #double as a finite number, or undefined (unparsable, NaN, ±Infinity). */
function parseFiniteDouble(value: string): number | undefined {
  const parsed = parseDoubleAny(value);
  return parsed !== undefined && Number.isFinite(parsed) ? parsed : undefined;
}

/** A converted value; the wrapper tells a JSON `null` apart from "keep the string". */
type Converted = { readonly value: unknown } | undefined;

function wrap(value: unknown): Converted {
  return value === undefined ? undefined : { value };
}

/**
 * The converted value, or undefined to keep the original string. Value types are compared
 * ordinally (case-sensitive), as .NET compares them; an unknown one keeps the string.
 */
function convert(value: string, valueType: string): Converted {
  switch (valueType) {
    case CLAIM_VALUE_TYPES.boolean:
      return wrap(parseBoolean(value));
    case CLAIM_VALUE_TYPES.double:
      return wrap(parseFiniteDouble(value));
    case CLAIM_VALUE_TYPES.integer:
    case CLAIM_VALUE_TYPES.integer32:
      return wrap(parseInt32Any(value));
    case CLAIM_VALUE_TYPES.integer64:
      return wrap(parseSafeInt64(value));
    case CLAIM_VALUE_TYPES.dateTime:
      return wrap(toUtcIsoDateTime(value));
    case CLAIM_VALUE_TYPES.json:
    case CLAIM_VALUE_TYPES.jsonArray:
      return parseJsonClaim(value);
    case CLAIM_VALUE_TYPES.jsonNull:
      // .NET represents a JSON null claim by an empty string, and writes that string.
      return { value: '' };
    default:
      return undefined;
  }
}

/** A claim's value type as `new Claim(type, value, valueType)` stores it: empty means string. */
function effectiveValueType(valueType: string | null | undefined): string {
  return valueType === undefined || valueType === null || valueType === ''
    ? CLAIM_VALUE_TYPES.string
    : valueType;
}

/**
 * The JSON value a claim contributes to a .NET-generated JWT payload when its type occurs
 * once. A value that does not parse as its type, or that JSON.stringify could not carry
 * exactly, is kept as the original string.
 */
export function convertClaimValue(value: string, valueType: string | null | undefined): unknown {
  const converted = convert(value, effectiveValueType(valueType));
  return converted === undefined ? value : converted.value;
}

/**
 * The JSON value a claim contributes as one element of an array (its type occurs more than
 * once). Identical to `convertClaimValue` except for #double, which .NET writes through
 * `decimal` there: rounded to 15 significant digits, and kept as the original string where
 * the conversion to decimal would overflow.
 */
export function convertClaimArrayItem(
  value: string,
  valueType: string | null | undefined,
): unknown {
  const type = effectiveValueType(valueType);
  if (type !== CLAIM_VALUE_TYPES.double) return convertClaimValue(value, type);
  const parsed = parseFiniteDouble(value);
  const written = parsed === undefined ? undefined : doubleThroughDecimal(parsed);
  return written === undefined ? value : written;
}
