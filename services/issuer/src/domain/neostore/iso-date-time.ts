/**
 * #dateTime claim values. Microsoft.IdentityModel parses them with `DateTime.TryParse`,
 * converts with `ToUniversalTime()` and writes them the way System.Text.Json writes a UTC
 * DateTime: `yyyy-MM-ddTHH:mm:ss[.FFFFFFF]Z` (fraction only when non-zero, trailing zeros
 * trimmed).
 *
 * `DateTime.TryParse` also takes culture-dependent text ("1/2/2024", "Jan 2 2024") and a bare
 * time (which takes the server's current date); those have no single answer, so only ISO
 * 8601 is read here: `yyyy-MM-dd`, optionally `T` or a space and `HH:mm[:ss[.f{1,7}]]`,
 * optionally `Z` or `±HH:mm`. Without an offset the time is taken as UTC, which is what
 * `ToUniversalTime()` does on a server whose local zone is UTC. Anything else is not a date.
 */

import { withoutTrailingZeros } from './trailing-zeros.js';

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?(Z|[+-]\d{2}:\d{2})?$/;

const MAX_OFFSET_HOURS = 14;

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    return leap ? 29 : 28;
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** Parses an offset `Z`, `+HH:mm` or `-HH:mm` into minutes east of UTC. */
function offsetMinutes(offset: string | undefined): number | undefined {
  if (offset === undefined || offset === 'Z') return 0;
  const hours = Number(offset.slice(1, 3));
  const minutes = Number(offset.slice(4, 6));
  if (hours > MAX_OFFSET_HOURS || minutes > 59) return undefined;
  const total = hours * 60 + minutes;
  return offset.startsWith('-') ? -total : total;
}

/**
 * The UTC form of an ISO 8601 date or date-time, as a .NET JWT payload carries a #dateTime
 * claim, or undefined when the text is not one (out-of-range fields, or a UTC instant outside
 * years 0001–9999, included).
 */
export function toUtcIsoDateTime(text: string): string | undefined {
  const match = ISO_DATE_TIME.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', offset] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return undefined;
  }
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const shift = offsetMinutes(offset);
  if (shift === undefined) return undefined;

  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
  const instant = new Date(0);
  instant.setUTCFullYear(year, month - 1, day);
  instant.setUTCHours(hour, minute - shift, second, 0);
  const utcYear = instant.getUTCFullYear();
  if (utcYear < 1 || utcYear > 9999) return undefined;

  const trimmedFraction = withoutTrailingZeros(fraction);
  const date = `${pad(utcYear, 4)}-${pad(instant.getUTCMonth() + 1, 2)}-${pad(instant.getUTCDate(), 2)}`;
  const time = `${pad(instant.getUTCHours(), 2)}:${pad(instant.getUTCMinutes(), 2)}:${pad(instant.getUTCSeconds(), 2)}`;
  return `${date}T${time}${trimmedFraction === '' ? '' : `.${trimmedFraction}`}Z`;
}
