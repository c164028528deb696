import type { commonV1 } from '@tessera/contracts';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../../http/api-errors.js';
import { presentParameter } from '../../http/credentials.js';

/**
 * preValidation hook of routes whose body is optional: a request without one (a cookie-only
 * refresh, a DELETE with query parameters) is validated as an empty object.
 */
export async function optionalBody(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}

/** A required parameter, with the official client's `null`/`undefined` strings as missing. */
export function requiredParameter(value: unknown, field: string): string {
  const present = presentParameter(value);
  if (present === undefined) {
    throw new ApiError({
      status: 400,
      field,
      code: `[missing]${field}`,
      message: `${field} is required`,
    });
  }
  return present;
}

/** A cookie's value, or undefined when absent or empty. */
export function cookieOf(request: FastifyRequest, name: string): string | undefined {
  return presentParameter(request.cookies?.[name]);
}

/**
 * Who presented the request, as FusionAuth records it: the IP address given in the body wins,
 * then the first address of `X-Forwarded-For`, then the connection's peer.
 */
export function presenterOf(
  request: FastifyRequest,
  ipAddress?: string | null,
): commonV1.Presenter {
  const forwarded = request.headers['x-forwarded-for'];
  const firstForwarded = (Array.isArray(forwarded) ? forwarded[0] : forwarded)
    ?.split(',')[0]
    ?.trim();
  const userAgent = request.headers['user-agent'];
  return {
    ipAddress: presentParameter(ipAddress) ?? presentParameter(firstForwarded) ?? request.ip,
    userAgent: typeof userAgent === 'string' ? userAgent : '',
  };
}
