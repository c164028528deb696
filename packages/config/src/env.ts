import { z } from 'zod';
import { ConfigError, describeIssues } from './config-error.js';

/**
 * Parses environment variables with a schema, once, into a frozen typed object. A bad value
 * fails start with the variable's name. Only each service's `config.ts` calls this, with
 * `process.env`.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
): Readonly<z.output<S>> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigError('environment', describeIssues(parsed.error));
  return Object.freeze(parsed.data);
}

/** A `host:port` listening address; port 0 picks a free port. */
export const listenAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^\s:/]+):\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:50051')
  // Port 0 asks the system for a free port; anything above 65535 would only fail at bind time.
  .refine((address) => Number(address.slice(address.lastIndexOf(':') + 1)) <= 65_535, {
    message: 'the port must be at most 65535',
  });

/** A log level pino understands. */
export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** `host:port` split for a listener (`[::1]:8080` keeps its brackets off the host). */
export function splitListenAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return {
    host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'),
    port: Number(address.slice(colon + 1)),
  };
}
