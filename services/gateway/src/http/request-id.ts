import { randomUUID } from 'node:crypto';

/**
 * The request id of each HTTP request: the caller's `X-Request-Id` when it is one we can pass
 * on safely (at most 128 characters of `[A-Za-z0-9._:-]`, the same rule the gRPC services
 * apply to `x-request-id` metadata), otherwise a new UUID, unique across replicas (fastify's
 * default is a per-process counter). It is echoed in the answer, logged, sent to the backends
 * as `x-request-id` metadata and, where the RPC has one, as `request_id`, the idempotency key
 * that lets a retried refresh or sign-in return the first answer.
 */

/** The header a request id comes in and is echoed in. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** What a caller's request id may look like: printable, bounded, safe in logs and metadata. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's request id when acceptable, otherwise a new UUID. */
export function requestIdOf(header: string | readonly string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID_PATTERN.test(header) ? header : randomUUID();
}
