import { status } from '@grpc/grpc-js';
import type { ApiError } from '../../http/api-errors.js';
import { toApiError } from '../../http/backend-errors.js';

/** A failed key-set call as the ApiError to answer with (the gateway's one status table). */
export function keySetProblem(error: unknown): ApiError {
  // An error claiming OK is a broken backend, not a success.
  return toApiError(error, { statuses: { [status.OK]: 500 } });
}
