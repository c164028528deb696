import type { status } from '@grpc/grpc-js';
import { readErrorDetails } from '@tessera/grpc-runtime';
import { ApiError } from './api-errors.js';
import { httpStatusFor } from './grpc-status-http.js';

/** How one route renders the failures of the gRPC calls it makes. */
export interface BackendErrorMapping {
  /** Documented per-route statuses (e.g. FAILED_PRECONDITION → 400 for FusionAuth refresh). */
  readonly statuses?: Partial<Record<status, number>>;
  /** Proto field path → the API's field name (`time_to_live_seconds` → `timeToLiveInSeconds`). */
  readonly fields?: Readonly<Record<string, string>>;
  /** Reason → FusionAuth code, e.g. REFRESH_TOKEN_INVALID → `[invalid]refreshToken`. */
  readonly codes?: Readonly<Record<string, { field?: string; code: string }>>;
}

/**
 * Turns a failed gRPC call into the ApiError to answer with. Errors that are not gRPC
 * statuses are rethrown (they are the gateway's own bugs, answered as 500 by the handler).
 */
export function toApiError(error: unknown, mapping: BackendErrorMapping = {}): ApiError {
  const details = readErrorDetails(error);
  if (details === undefined) throw error;
  // A failure that claims status OK is malformed; it is the server's fault, never a success.
  const httpStatus = details.code === 0 ? 500 : httpStatusFor(details.code, mapping.statuses);
  const coded = details.reason === undefined ? undefined : mapping.codes?.[details.reason];
  if (details.reason === 'TENANT_ID_REQUIRED') {
    return new ApiError({ status: 400, code: '[TenantIdRequired]', message: details.message });
  }
  const protoField = details.field;
  const field =
    coded?.field ??
    (protoField === undefined
      ? undefined
      : (mapping.fields?.[protoField] ??
        mapping.fields?.[protoField.split(/[.[]/)[0] ?? ''] ??
        protoField));
  // Internal failures are never described to the caller.
  const message = httpStatus >= 500 ? 'the request could not be completed' : details.message;
  return new ApiError({
    status: httpStatus,
    ...(field !== undefined ? { field } : {}),
    ...(coded ? { code: coded.code } : {}),
    message,
  });
}
