import { listenAddress, logLevel, parseEnv } from '@tessera/config';
import { TRANSPORT_KINDS } from '@tessera/grpc-runtime';
import { readTracingSettings, type TracingSettings } from '@tessera/tracing';
import { z } from 'zod';
import { isTrustedProxyEntry, splitTrustedProxies } from './http/trusted-proxies.js';

/** The gateway's environment, read once; a bad value fails start naming the variable. */
const gatewayEnvSchema = z.object({
  /** The realm file: the gateway reads only what shapes HTTP (header names, limits, issuers). */
  TESSERA_CONFIG: z.string().min(1, 'TESSERA_CONFIG must name the realm file'),
  GATEWAY_ADDRESS: listenAddress.default('0.0.0.0:8080'),
  /**
   * The management port: Prometheus `/metrics`, apart from the public API so that neither the
   * internet nor a legacy client can read the gateway's metrics. Empty: no metrics server.
   */
  GATEWAY_METRICS_ADDRESS: z.union([listenAddress, z.literal('')]).default('0.0.0.0:9466'),
  ISSUER_ADDRESS: listenAddress.default('127.0.0.1:50051'),
  SESSION_ADDRESS: listenAddress.default('127.0.0.1:50052'),
  /**
   * The gateway's own API key, for what has no caller key to forward: anonymous routes
   * (refresh, reconcile), JWT-authenticated ones (issue, revoke by JWT) and the key and
   * revocation streams. Caller keys are always forwarded as they are.
   */
  GATEWAY_API_KEY: z
    .string()
    .min(1, 'GATEWAY_API_KEY is required: an API key of the realm for the gateway itself'),
  /**
   * The external base URL (for discovery documents). Unset, a tenant's https issuer is the
   * base; otherwise the request's Host, answered with `Vary: Host` and `Cache-Control: no-store`.
   */
  GATEWAY_PUBLIC_URL: z.union([z.url(), z.literal('')]).default(''),
  /**
   * Proxies whose `X-Forwarded-Proto`, `-Host` and `-For` the gateway believes: comma-separated
   * IP addresses, CIDR ranges, or `loopback`, `linklocal`, `uniquelocal`. Empty (the default):
   * none, so a client cannot claim HTTPS (and Secure cookies) for a plain-HTTP connection.
   */
  GATEWAY_TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform(splitTrustedProxies)
    .refine((entries) => entries.every(isTrustedProxyEntry), {
      message: 'each entry must be an IP address, a CIDR range, loopback, linklocal or uniquelocal',
    }),
  /** When login cookies get `Secure`: `auto` (over HTTPS, as seen through trusted proxies), `always`, `never`. */
  GATEWAY_SECURE_COOKIES: z.enum(['auto', 'always', 'never']).default('auto'),
  GATEWAY_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(1024 * 1024),
  /**
   * How the issuer and session calls travel: `stream` (many calls multiplexed over a few
   * long-lived streams to every replica the names resolve to) or `unary` (one RPC per call).
   */
  GRPC_TRANSPORT: z.enum(TRANSPORT_KINDS).default('stream'),
  /** Budget of each gRPC call a request makes. */
  GRPC_DEADLINE_MS: z.coerce.number().int().min(10).max(60_000).default(5000),
  LOG_LEVEL: logLevel.default('info'),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  CONFIG_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(1000),
});

/** The gateway's parsed environment. */
export type GatewayEnv = z.output<typeof gatewayEnvSchema>;

/** Parses the gateway's environment. */
export function readGatewayEnv(env: Readonly<Record<string, string | undefined>>): GatewayEnv {
  return parseEnv(gatewayEnvSchema, env);
}

/**
 * The gateway's tracing, from the standard `OTEL_*` variables (off unless an exporter or an OTLP
 * endpoint is named; README, Operations → Tracing).
 */
export function readGatewayTracing(
  env: Readonly<Record<string, string | undefined>>,
): TracingSettings {
  return readTracingSettings(env, 'tessera-gateway');
}
