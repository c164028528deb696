import { status } from '@grpc/grpc-js';

/**
 * The one gRPC status → HTTP status table of the gateway. Routes whose document prescribes
 * something else (FusionAuth's refresh failure is a 400, its validate failure a bare 401)
 * override single entries with {@link httpStatusFor}'s `overrides`; nothing else maps
 * statuses.
 */
export const HTTP_STATUS_BY_GRPC: Readonly<Record<status, number>> = Object.freeze({
  // Success.
  [status.OK]: 200,
  // The client went away; nobody reads the answer. 499 is the de-facto "client closed".
  [status.CANCELLED]: 499,
  // An error with no better code: the server's fault.
  [status.UNKNOWN]: 500,
  // The request is wrong and will stay wrong.
  [status.INVALID_ARGUMENT]: 400,
  // The backend ran out of time: a gateway timeout.
  [status.DEADLINE_EXCEEDED]: 504,
  // The named thing does not exist.
  [status.NOT_FOUND]: 404,
  // It exists already.
  [status.ALREADY_EXISTS]: 409,
  // Authenticated but not allowed.
  [status.PERMISSION_DENIED]: 403,
  // Rate or quota: ask again later.
  [status.RESOURCE_EXHAUSTED]: 429,
  // The system is not in a state to do it (an invalid refresh token): the request is refused.
  [status.FAILED_PRECONDITION]: 400,
  // A concurrency conflict.
  [status.ABORTED]: 409,
  // A value outside the acceptable range: bad input.
  [status.OUT_OF_RANGE]: 400,
  // The deployment does not serve it.
  [status.UNIMPLEMENTED]: 501,
  // A bug on the server side.
  [status.INTERNAL]: 500,
  // A backend is down: retry later.
  [status.UNAVAILABLE]: 503,
  // Lost data: the server's fault.
  [status.DATA_LOSS]: 500,
  // No or bad credentials.
  [status.UNAUTHENTICATED]: 401,
});

/** The HTTP status for a gRPC status, with a route's documented overrides applied first. */
export function httpStatusFor(code: status, overrides?: Partial<Record<status, number>>): number {
  return overrides?.[code] ?? HTTP_STATUS_BY_GRPC[code] ?? 500;
}
