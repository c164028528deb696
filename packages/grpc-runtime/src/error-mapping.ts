import { Metadata, status as Status, type StatusObject } from '@grpc/grpc-js';
import { type ErrorCode, type ErrorMetadata, isTesseraError } from '@tessera/errors';
import type { Logger } from 'pino';
import { isGrpcStatusLike } from './grpc-status-like.js';
import { RpcStatusError } from './rpc-status-error.js';
import { ERROR_REASON_KEY, encodeStatusDetails, STATUS_DETAILS_KEY } from './status-details.js';

/**
 * The one table from tessera error codes to gRPC status codes. Typed as a full Record, so a
 * code added to @tessera/errors does not compile until it is mapped here.
 */
export const STATUS_BY_ERROR_CODE: Readonly<Record<ErrorCode, Status>> = Object.freeze({
  // A request field is malformed or out of bounds; BadRequest names it.
  INVALID_ARGUMENT: Status.INVALID_ARGUMENT,
  // The request lacks a tenant it must name: the caller's input is incomplete.
  TENANT_ID_REQUIRED: Status.INVALID_ARGUMENT,
  // The named tenant does not exist.
  TENANT_NOT_FOUND: Status.NOT_FOUND,
  // The named application does not exist in the tenant.
  APPLICATION_NOT_FOUND: Status.NOT_FOUND,
  // No credentials, or credentials that match no API key.
  UNAUTHENTICATED: Status.UNAUTHENTICATED,
  // Known caller, forbidden method or tenant.
  PERMISSION_DENIED: Status.PERMISSION_DENIED,
  // The caller named a key id that is not there to use: a missing resource, like the other
  // *_NOT_FOUND codes. FAILED_PRECONDITION would tell clients to fix server state first,
  // which is not theirs to fix.
  KEY_NOT_FOUND: Status.NOT_FOUND,
  // The refresh token exists as input but the session state rejects it (expired, revoked,
  // reused): the request is well formed, the system is not in a state to honour it.
  REFRESH_TOKEN_INVALID: Status.FAILED_PRECONDITION,
  // The presented access token does not validate: the caller's credential is bad.
  TOKEN_INVALID: Status.UNAUTHENTICATED,
  // The named user does not exist.
  USER_NOT_FOUND: Status.NOT_FOUND,
  // The named identity provider is not configured.
  IDENTITY_PROVIDER_NOT_FOUND: Status.NOT_FOUND,
  // A dependency (Redis, another tessera service) is down; clients may retry.
  UNAVAILABLE: Status.UNAVAILABLE,
  // The refresh token or user to create exists already.
  ALREADY_EXISTS: Status.ALREADY_EXISTS,
  // The request exceeds a configured bound (batch size, claims, token length). It is the
  // caller's input that is too large, and resending it never succeeds: INVALID_ARGUMENT.
  // RESOURCE_EXHAUSTED would invite retries with backoff (it means quota or server capacity),
  // and OUT_OF_RANGE is for reading past the end of a range that may grow.
  LIMIT_EXCEEDED: Status.INVALID_ARGUMENT,
  // A failure the server owns; the message was written to be safe to send.
  INTERNAL: Status.INTERNAL,
  // The call ran out of time.
  DEADLINE_EXCEEDED: Status.DEADLINE_EXCEEDED,
  // This instance is stopping; UNAVAILABLE makes clients retry on another one.
  SHUTTING_DOWN: Status.UNAVAILABLE,
  // The contract has the method but this deployment does not serve it; retrying won't help.
  UNIMPLEMENTED: Status.UNIMPLEMENTED,
  // No live refresh token with this id: a missing resource.
  REFRESH_TOKEN_NOT_FOUND: Status.NOT_FOUND,
  // The session has as many forks as its tenant allows. Not a quota that frees up with time
  // (RESOURCE_EXHAUSTED invites retries): the caller must revoke a fork or start a session.
  SESSION_FORK_LIMIT: Status.FAILED_PRECONDITION,
  // The tenant's live revocations reached its realm limit: a quota, freed as entries expire,
  // so RESOURCE_EXHAUSTED (clients may retry later) rather than INVALID_ARGUMENT.
  REVOCATION_LIMIT_REACHED: Status.RESOURCE_EXHAUSTED,
  // A stream carries as many unanswered calls as the server allows: capacity that frees up
  // as calls finish, so RESOURCE_EXHAUSTED (retry with backoff, or on another stream).
  IN_FLIGHT_LIMIT: Status.RESOURCE_EXHAUSTED,
});

/** The message sent for every failure whose real message must stay in the logs. */
export const INTERNAL_ERROR_MESSAGE = 'internal error';

const DEPENDENCY_UNAVAILABLE_MESSAGE = 'a dependency is unavailable';

/**
 * Maps anything a handler threw to the status sent to the caller, with the rich error model
 * in `grpc-status-details-bin` and the reason in `tessera-error-reason`:
 * - a TesseraError: its code through {@link STATUS_BY_ERROR_CODE}, its message, field and
 *   metadata;
 * - a failed downstream gRPC call: UNAVAILABLE / DEADLINE_EXCEEDED keep their code with reason
 *   UNAVAILABLE (the dependency did not answer), anything else is internal; the downstream
 *   message and trailers are never forwarded;
 * - anything else: UNKNOWN, "internal error", reason INTERNAL, logged with its stack.
 * The result can be handed straight to a grpc-js callback or `call.emit('error')`.
 */
export function toServiceError(error: unknown, log: Logger): StatusObject {
  return toRpcStatusError(error, log);
}

/** {@link toServiceError}, keeping the reason for logs and metrics; idempotent. */
export function toRpcStatusError(error: unknown, log: Logger): RpcStatusError {
  if (error instanceof RpcStatusError) return error;
  if (isTesseraError(error)) {
    if (error.code === 'INTERNAL') {
      log.error({ err: error }, 'internal error');
    } else if (error.cause !== undefined) {
      log.warn({ err: error }, 'request failed with an underlying cause');
    }
    return buildStatusError(
      STATUS_BY_ERROR_CODE[error.code],
      error.code,
      error.message,
      error.metadata,
      error.field,
    );
  }
  if (isGrpcStatusLike(error)) {
    if (error.code === Status.UNAVAILABLE || error.code === Status.DEADLINE_EXCEEDED) {
      log.warn(
        { downstream: { code: Status[error.code], details: error.details } },
        'dependency unavailable',
      );
      return buildStatusError(error.code, 'UNAVAILABLE', DEPENDENCY_UNAVAILABLE_MESSAGE);
    }
    log.error({ err: error, downstream: { code: Status[error.code] } }, 'downstream call failed');
    return buildStatusError(Status.UNKNOWN, 'INTERNAL', INTERNAL_ERROR_MESSAGE);
  }
  log.error({ err: error }, 'unexpected error');
  return buildStatusError(Status.UNKNOWN, 'INTERNAL', INTERNAL_ERROR_MESSAGE);
}

/** The status of a TesseraError code raised by the runtime itself (deadline, shutdown). */
export function runtimeStatusError(code: ErrorCode, message: string): RpcStatusError {
  return buildStatusError(STATUS_BY_ERROR_CODE[code], code, message);
}

function buildStatusError(
  code: Status,
  reason: ErrorCode,
  message: string,
  metadata: ErrorMetadata = {},
  field?: string,
): RpcStatusError {
  const trailers = new Metadata();
  trailers.set(STATUS_DETAILS_KEY, encodeStatusDetails({ code, message, reason, metadata, field }));
  trailers.set(ERROR_REASON_KEY, reason);
  return new RpcStatusError(code, message, trailers, reason);
}
