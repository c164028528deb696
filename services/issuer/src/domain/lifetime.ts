import { invalidArgument } from '@tessera/errors';

/**
 * The lifetime of a token in seconds: the caller's (when > 0), else the default; never more
 * than the tenant's maximum. A negative or too-long request is refused rather than silently
 * clamped, so callers learn the limit.
 */
export function resolveLifetimeSeconds(
  requested: number,
  limits: { defaultSeconds: number; maximumSeconds: number },
  field: string,
): number {
  if (!Number.isInteger(requested) || requested < 0) {
    throw invalidArgument(field, `${field} must be a positive number of seconds`);
  }
  const seconds =
    requested === 0 ? Math.min(limits.defaultSeconds, limits.maximumSeconds) : requested;
  if (seconds > limits.maximumSeconds) {
    throw invalidArgument(field, `${field} may be at most ${limits.maximumSeconds} seconds`, {
      maximum: String(limits.maximumSeconds),
    });
  }
  return seconds;
}
