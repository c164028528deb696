/**
 * The lifetime of a token generated through Neostore's `tokens/generate`, from its
 * `validityDuration` query parameter. Neostore documents a 10-year default; tessera lets the
 * operator cap it per tenant, so the default is itself capped rather than refused.
 */
import { invalidArgument } from '@tessera/errors';
import { formatTimeSpan, parseTimeSpan } from './timespan.js';

/** Neostore's documented default validity, `3650.00:00:00` (10 years of 365 days), in ms. */
export const NEOSTORE_DEFAULT_VALIDITY_MS = 3650 * 24 * 60 * 60 * 1000;

/** Bounds of a generated token's validity, in milliseconds. */
export interface ValidityLimits {
  /** Used when the caller names none (before the cap applies). */
  readonly defaultMs: number;
  /** The longest validity a caller may ask for; the default is capped to it. */
  readonly maximumMs: number;
}

const FIELD = 'validityDuration';

/**
 * Resolves `validityDuration` to milliseconds: absent or empty gives the default capped to
 * the maximum; otherwise the text must be a .NET TimeSpan (`[-][d.]hh:mm[:ss[.fffffff]]`,
 * parsed exactly as .NET does) that is positive and no longer than the maximum. Throws
 * TesseraError `INVALID_ARGUMENT` on field `validityDuration` otherwise; a value over the cap
 * carries the cap, in TimeSpan format, as metadata `maximum`.
 */
export function resolveValidity(text: string | undefined, limits: ValidityLimits): number {
  if (text === undefined || text === '') return Math.min(limits.defaultMs, limits.maximumMs);
  const ms = parseTimeSpan(text);
  if (ms === undefined) {
    throw invalidArgument(
      FIELD,
      'validityDuration must be a TimeSpan such as 1.00:00:00 ([-][d.]hh:mm[:ss[.fffffff]])',
    );
  }
  if (ms <= 0) throw invalidArgument(FIELD, 'validityDuration must be longer than zero');
  if (ms > limits.maximumMs) {
    const maximum = formatTimeSpan(limits.maximumMs);
    throw invalidArgument(FIELD, `validityDuration must not exceed ${maximum}`, { maximum });
  }
  return ms;
}
