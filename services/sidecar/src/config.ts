import { listenAddress, logLevel, parseEnv } from '@tessera/config';
import { z } from 'zod';
import { parseClaimHeaders } from './decision/identity-headers.js';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** The sidecar's environment, read once; a bad value fails start naming the variable. */
const sidecarEnvSchema = z.object({
  /** The realm file (tenants, issuers, limits). */
  TESSERA_CONFIG: z.string().min(1, 'TESSERA_CONFIG must name the realm file'),
  ISSUER_ADDRESS: listenAddress.default('127.0.0.1:50051'),
  SESSION_ADDRESS: listenAddress.default('127.0.0.1:50052'),
  /** The sidecar's API key for the session service's revocation stream (a key for all tenants). */
  SIDECAR_API_KEY: z
    .string()
    .min(1, 'SIDECAR_API_KEY is required: an API key of the realm for WatchRevocations'),
  /** Envoy ext_authz Check, the issuer's Validate, grpc.health.v1 and reflection. */
  SIDECAR_GRPC_ADDRESS: listenAddress.default('127.0.0.1:9191'),
  /** Auth-request mode (`/auth`), FusionAuth's `GET /api/jwt/validate`, `/readyz`, `/healthz`, `/metrics`. */
  SIDECAR_HTTP_ADDRESS: listenAddress.default('127.0.0.1:9192'),
  /** Revocations not confirmed current for longer than this are stale. */
  SIDECAR_MAX_REVOCATION_STALENESS_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** With stale revocations: `fail-closed` refuses every token; `serve` keeps answering and raises an alarm metric. */
  SIDECAR_STALE_MODE: z.enum(['fail-closed', 'serve']).default('fail-closed'),
  SIDECAR_CACHE_MAX_ENTRIES: z.coerce.number().int().min(0).max(10_000_000).default(10_000),
  /**
   * Longest wait between two connection attempts to an unreachable issuer or session service
   * (gRPC's reconnect backoff starts at 100 ms and grows to this, jittered): the bound on how
   * long after a backend returns the sidecar is ready again.
   */
  SIDECAR_RECONNECT_MAX_BACKOFF_MS: z.coerce.number().int().min(100).max(120_000).default(500),
  /** Optional YAML file of per-route rules (path prefix + methods → audience, scopes, roles). */
  SIDECAR_POLICY_FILE: z.string().default(''),
  /** Optional `claim=header,claim=header`: more claims forwarded to the upstream as headers. */
  SIDECAR_CLAIM_HEADERS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      try {
        return parseClaimHeaders(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /** Remove `Authorization` from the request Envoy forwards upstream. */
  SIDECAR_STRIP_AUTHORIZATION: flag.default(false),
  LOG_LEVEL: logLevel.default('info'),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  CONFIG_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(1000),
});

/** The sidecar's parsed environment. */
export type SidecarEnv = z.output<typeof sidecarEnvSchema>;

/** Parses the sidecar's environment. */
export function readSidecarEnv(env: Readonly<Record<string, string | undefined>>): SidecarEnv {
  return parseEnv(sidecarEnvSchema, env);
}
