import type { Limits } from '@tessera/config';
import { invalidArgument, TesseraError } from '@tessera/errors';

/** A JSON object of claims, as decoded from a request. */
export type ClaimsObject = Record<string, unknown>;

/**
 * Parses a `*_json` claims field into an object within the realm's limits (bytes, number of
 * claims, nesting depth), so a hostile claim set is refused before anything is signed.
 * An empty string is an empty object.
 */
export function parseClaimsJson(
  text: string,
  field: string,
  limits: Pick<Limits, 'maxClaims' | 'maxClaimsDepth' | 'maxClaimsBytes'>,
): ClaimsObject {
  if (text === '') return {};
  if (Buffer.byteLength(text, 'utf8') > limits.maxClaimsBytes) {
    throw new TesseraError(
      'LIMIT_EXCEEDED',
      `${field} is larger than ${limits.maxClaimsBytes} bytes`,
      {
        field,
        metadata: { limit: String(limits.maxClaimsBytes) },
      },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidArgument(field, `${field} is not valid JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgument(field, `${field} must be a JSON object`);
  }
  const claims = value as ClaimsObject;
  assertClaimsWithinLimits(claims, field, limits);
  return claims;
}

/** Refuses claim sets with too many claims or nesting deeper than the limit. */
export function assertClaimsWithinLimits(
  claims: ClaimsObject,
  field: string,
  limits: Pick<Limits, 'maxClaims' | 'maxClaimsDepth'>,
): void {
  const count = Object.keys(claims).length;
  if (count > limits.maxClaims) {
    throw new TesseraError(
      'LIMIT_EXCEEDED',
      `${field} has ${count} claims; the limit is ${limits.maxClaims}`,
      {
        field,
        metadata: { limit: String(limits.maxClaims) },
      },
    );
  }
  if (depthOf(claims, limits.maxClaimsDepth + 1) > limits.maxClaimsDepth) {
    throw new TesseraError(
      'LIMIT_EXCEEDED',
      `${field} nests deeper than ${limits.maxClaimsDepth} levels`,
      {
        field,
        metadata: { limit: String(limits.maxClaimsDepth) },
      },
    );
  }
}

/** Depth of a JSON value (a scalar is 0), computed no further than `stopAt`. */
function depthOf(value: unknown, stopAt: number): number {
  if (value === null || typeof value !== 'object' || stopAt <= 0) return 0;
  let deepest = 0;
  for (const child of Object.values(value)) {
    deepest = Math.max(deepest, depthOf(child, stopAt - 1));
    if (deepest >= stopAt) break;
  }
  return deepest + 1;
}
