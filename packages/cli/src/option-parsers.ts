import { InvalidArgumentError } from 'commander';

/**
 * Parsers for commander's `argParser`: a bad value is a usage error (exit code 2) naming the
 * option, before anything is sent anywhere. They also read values that come from the
 * environment (`.env(...)`), which commander passes through the same parser.
 */

/** An integer in [min, max]. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const trimmed = value.trim();
    const parsed = Number(trimmed);
    if (!/^-?\d+$/.test(trimmed) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max)
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    return parsed;
  };
}

// host: a name or IPv4 address, or an IPv6 address in brackets.
const HOST_PORT =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

/** `host:port` with a port in 1–65535 (0 too when `allowAnyPort`, to let the system pick). */
export function hostPort(
  options: { readonly allowAnyPort?: boolean } = {},
): (value: string) => string {
  return (value) => {
    const match = HOST_PORT.exec(value.trim());
    const port = Number(match?.[1]);
    const lowest = options.allowAnyPort ? 0 : 1;
    if (match === null || !(port >= lowest && port <= 65535))
      throw new InvalidArgumentError('must be host:port, e.g. 127.0.0.1:50051.');
    return value.trim();
  };
}
