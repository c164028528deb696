import { Metadata, status as Status } from '@grpc/grpc-js';
import { googleRpc, googleRpcStatus } from '@tessera/contracts';
import { isErrorCode } from '@tessera/errors';
import { RpcStatusError } from '../rpc-status-error.js';
import { ERROR_REASON_KEY, STATUS_DETAILS_KEY } from '../status-details.js';

/**
 * The google.rpc.Status a carried call fails with: the one the unary path would have sent in
 * `grpc-status-details-bin` (code, message, ErrorInfo, BadRequest), or a bare one for
 * statuses that carry no details (CANCELLED).
 */
export function statusOfError(error: RpcStatusError): googleRpcStatus.Status {
  const details = error.metadata.get(STATUS_DETAILS_KEY)[0];
  if (Buffer.isBuffer(details)) {
    try {
      return googleRpcStatus.Status.decode(details);
    } catch {
      // Our own encoding; should it ever fail to parse, the bare status below still holds.
    }
  }
  return { code: error.code, message: error.details, details: [] };
}

/**
 * The error a caller sees for a carried call that failed: shaped like the grpc-js
 * ServiceError of the unary call (code, details, and the same two trailers), so
 * `readErrorDetails` and every error mapping treat both transports alike.
 */
export function errorOfStatus(status: googleRpcStatus.Status): RpcStatusError {
  const code = status.code in Status ? (status.code as Status) : Status.UNKNOWN;
  const trailers = new Metadata();
  let reason: string | undefined;
  if (status.details.length > 0) {
    trailers.set(STATUS_DETAILS_KEY, Buffer.from(googleRpcStatus.Status.encode(status).finish()));
  }
  for (const any of status.details) {
    if (any.typeUrl.endsWith('/google.rpc.ErrorInfo')) {
      reason = readReason(any.value);
      break;
    }
  }
  if (reason !== undefined) trailers.set(ERROR_REASON_KEY, reason);
  return new RpcStatusError(
    code,
    status.message,
    trailers,
    reason !== undefined && isErrorCode(reason) ? reason : undefined,
  );
}

/** A failure raised by the client side of the transport itself (deadline, cancel, no stream). */
export function transportError(code: Status, message: string): RpcStatusError {
  return new RpcStatusError(code, message, new Metadata(), undefined);
}

function readReason(bytes: Uint8Array): string | undefined {
  try {
    return googleRpc.ErrorInfo.decode(bytes).reason || undefined;
  } catch {
    return undefined;
  }
}
