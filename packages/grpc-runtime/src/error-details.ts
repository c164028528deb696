import type { status as Status } from '@grpc/grpc-js';
import { type ErrorCode, isErrorCode } from '@tessera/errors';
import { isGrpcStatusLike } from './grpc-status-like.js';
import {
  type DecodedStatusDetails,
  decodeStatusDetails,
  ERROR_DOMAIN,
  ERROR_REASON_KEY,
  STATUS_DETAILS_KEY,
} from './status-details.js';

/** What a failed tessera call says about itself, read back on the client side. */
export interface RpcErrorDetails {
  readonly code: Status;
  /** The ErrorInfo reason (or `tessera-error-reason` trailer) when it is a known code. */
  readonly reason: ErrorCode | undefined;
  /** The first BadRequest field violation, when the server named a field. */
  readonly field: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly message: string;
}

/**
 * Parses the status details of a failed gRPC call (a grpc-js ServiceError). Returns
 * undefined for anything that is not a gRPC error; tolerates missing or corrupt details by
 * falling back to the plain reason trailer and the status message.
 */
export function readErrorDetails(error: unknown): RpcErrorDetails | undefined {
  if (!isGrpcStatusLike(error)) return undefined;
  const decoded = decodeTrailer(error.metadata.get(STATUS_DETAILS_KEY)[0]);
  // ErrorInfo of another domain belongs to someone else's reason vocabulary.
  const errorInfo = decoded?.errorInfo?.domain === ERROR_DOMAIN ? decoded.errorInfo : undefined;
  const plainReason = error.metadata.get(ERROR_REASON_KEY)[0];
  const reasonText = errorInfo?.reason ?? (typeof plainReason === 'string' ? plainReason : '');
  return {
    code: error.code,
    reason: isErrorCode(reasonText) ? reasonText : undefined,
    field: decoded?.badRequest?.fieldViolations[0]?.field || undefined,
    metadata: errorInfo?.metadata ?? {},
    message: decoded?.message || error.details,
  };
}

function decodeTrailer(value: string | Buffer | undefined): DecodedStatusDetails | undefined {
  if (!Buffer.isBuffer(value)) return undefined;
  try {
    return decodeStatusDetails(value);
  } catch {
    return undefined;
  }
}
