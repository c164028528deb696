import { Metadata, status as Status, type StatusObject } from '@grpc/grpc-js';
import type { ErrorCode } from '@tessera/errors';

/**
 * A failure already translated into the status the caller will receive. The error mapping
 * produces it once; outer layers (logging, metrics, the adapter) read `code` and `reason`
 * from it instead of mapping again. grpc-js sends it as is (it reads code/details/metadata).
 */
export class RpcStatusError extends Error implements StatusObject {
  override readonly name = 'RpcStatusError';
  readonly code: Status;
  readonly details: string;
  readonly metadata: Metadata;
  /** The tessera reason sent in ErrorInfo; undefined for statuses that carry none (CANCELLED). */
  readonly reason: ErrorCode | undefined;

  constructor(code: Status, details: string, metadata: Metadata, reason: ErrorCode | undefined) {
    super(details);
    this.code = code;
    this.details = details;
    this.metadata = metadata;
    this.reason = reason;
  }
}

/** The status of a call the client cancelled: nobody reads it, but logs and metrics do. */
export function cancelledByClient(): RpcStatusError {
  return new RpcStatusError(Status.CANCELLED, 'cancelled by the client', new Metadata(), undefined);
}

/** The gRPC code a chain outcome ended with; anything unmapped counts as UNKNOWN. */
export function statusCodeOf(error: unknown): Status {
  return error instanceof RpcStatusError ? error.code : Status.UNKNOWN;
}
