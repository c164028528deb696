import { listenAddress, logLevel, parseEnv } from '@tessera/config';
import { readTracingSettings, type TracingSettings } from '@tessera/tracing';
import { z } from 'zod';

/** A secret of at least 32 bytes, given as base64url, base64 or hex. */
const pepper = z
  .string()
  .min(1, 'TESSERA_TOKEN_PEPPER is required: at least 32 random bytes, base64 or hex')
  .transform((text, ctx) => {
    const bytes =
      /^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0
        ? Buffer.from(text, 'hex')
        : Buffer.from(text, 'base64url');
    if (bytes.length < 32) {
      ctx.addIssue({ code: 'custom', message: 'must decode to at least 32 bytes' });
      return z.NEVER;
    }
    return bytes;
  });

/**
 * The session service's environment, read once. Secrets (the token pepper) come from the
 * environment (a Kubernetes Secret), never from the realm file.
 */
const sessionEnvSchema = z
  .object({
    TESSERA_CONFIG: z.string().min(1, 'TESSERA_CONFIG must name the realm file'),
    SESSION_ADDRESS: listenAddress.default('0.0.0.0:50052'),
    /** Where Prometheus scrapes `/metrics`; empty turns it off. */
    SESSION_METRICS_ADDRESS: z.union([listenAddress, z.literal('')]).default('0.0.0.0:9465'),
    /** `redis` (production) or `memory` (development only: state dies with the process). */
    SESSION_STORE: z.enum(['redis', 'memory']).default('redis'),
    /** redis://host:port/db, redis+sentinel://h1:p1,h2:p2/master, redis+cluster://h1:p1,h2:p2 */
    REDIS_URL: z.string().default(''),
    REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
    /** What to do when Redis may evict keys (maxmemory-policy other than noeviction). */
    REDIS_EVICTION_CHECK: z.enum(['refuse', 'warn']).default('refuse'),
    /** HMAC key for refresh-token hashes: a Redis dump alone yields no usable token. */
    TESSERA_TOKEN_PEPPER: pepper,
    REVOCATION_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
    LOG_LEVEL: logLevel.default('info'),
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
    CONFIG_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(1000),
  })
  .refine((env) => env.SESSION_STORE === 'memory' || env.REDIS_URL !== '', {
    message: 'REDIS_URL is required with SESSION_STORE=redis',
    path: ['REDIS_URL'],
  });

/** The session service's parsed environment. */
export type SessionEnv = z.output<typeof sessionEnvSchema>;

/** Parses the session service's environment; a bad value fails start naming the variable. */
export function readSessionEnv(env: Readonly<Record<string, string | undefined>>): SessionEnv {
  return parseEnv(sessionEnvSchema, env);
}

/**
 * The session's tracing, from the standard `OTEL_*` variables (off unless an exporter or an OTLP
 * endpoint is named; README, Operations → Tracing).
 */
export function readSessionTracing(
  env: Readonly<Record<string, string | undefined>>,
): TracingSettings {
  return readTracingSettings(env, 'tessera-session');
}
