import { toRpcStatusError } from '../error-mapping.js';
import type { Interceptor } from '../interceptor.js';

/**
 * Turns whatever the inner chain threw into the status sent to the caller, once, so the
 * logging and metrics around it see the final code. Once the call has aborted, the abort
 * reason (cancelled, deadline, shutdown) is the outcome, whatever the handler did next:
 * an AbortError thrown in response is not an internal error.
 */
export function mapErrors(): Interceptor {
  return async (request, ctx, next) => {
    let response: unknown;
    try {
      response = await next(request, ctx);
    } catch (error) {
      throw toRpcStatusError(ctx.aborted() ? ctx.signal.reason : error, ctx.log);
    }
    if (ctx.aborted()) throw toRpcStatusError(ctx.signal.reason, ctx.log);
    return response;
  };
}
