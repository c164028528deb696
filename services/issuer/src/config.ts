import { listenAddress, logLevel, parseEnv } from '@tessera/config';
import { TRANSPORT_KINDS } from '@tessera/grpc-runtime';
import { readTracingSettings, type TracingSettings } from '@tessera/tracing';
import { z } from 'zod';

/**
 * The issuer's environment, read once. The realm file holds everything about tokens;
 * the environment holds only where things are.
 */
const issuerEnvSchema = z.object({
  /** The realm file (YAML). */
  TESSERA_CONFIG: z.string().min(1, 'TESSERA_CONFIG must name the realm file'),
  /** Where the gRPC server listens. */
  ISSUER_ADDRESS: listenAddress.default('0.0.0.0:50051'),
  /** Where Prometheus scrapes `/metrics`; an empty value turns the endpoint off. */
  ISSUER_METRICS_ADDRESS: z.union([listenAddress, z.literal('')]).default('0.0.0.0:9464'),
  LOG_LEVEL: logLevel.default('info'),
  /** How long in-flight calls may finish after SIGTERM. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /** The session service; without it the session-backed RPCs answer UNIMPLEMENTED. */
  SESSION_ADDRESS: z.union([listenAddress, z.literal('')]).default(''),
  /** The issuer's API key for the session service (a secret: from a Secret, never the realm). */
  SESSION_API_KEY: z.string().default(''),
  /**
   * How calls to the session service travel: `stream` (many calls multiplexed over a few
   * long-lived streams to every replica the name resolves to) or `unary` (one RPC per call).
   */
  SESSION_TRANSPORT: z.enum(TRANSPORT_KINDS).default('stream'),
  /** Budget of each call to the session service. */
  SESSION_DEADLINE_MS: z.coerce.number().int().min(10).max(60_000).default(2000),
  /** How often the realm and key files are checked for changes. */
  CONFIG_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(1000),
});

/** The issuer's parsed environment. */
export type IssuerEnv = z.output<typeof issuerEnvSchema>;

/** Parses the issuer's environment; a bad value fails start naming the variable. */
export function readIssuerEnv(env: Readonly<Record<string, string | undefined>>): IssuerEnv {
  return parseEnv(
    issuerEnvSchema.refine((e) => e.SESSION_ADDRESS === '' || e.SESSION_API_KEY !== '', {
      message: 'SESSION_API_KEY is required when SESSION_ADDRESS is set',
      path: ['SESSION_API_KEY'],
    }),
    env,
  );
}

/**
 * The issuer's tracing, from the standard `OTEL_*` variables (off unless an exporter or an OTLP
 * endpoint is named; README, Operations → Tracing).
 */
export function readIssuerTracing(
  env: Readonly<Record<string, string | undefined>>,
): TracingSettings {
  return readTracingSettings(env, 'tessera-issuer');
}
