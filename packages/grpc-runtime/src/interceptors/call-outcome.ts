import { status as Status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CallContext } from '../call-context.js';
import { toRpcStatusError } from '../error-mapping.js';
import type { Interceptor } from '../interceptor.js';
import type { RpcStatusError } from '../rpc-status-error.js';
import { logCallEnd } from './call-logging.js';
import { serverCallMetrics } from './call-metrics.js';

/**
 * What the inner chain's failure becomes for the caller: once the call has aborted, the abort
 * reason (cancelled, deadline, shutdown) is the outcome, whatever the handler did next (an
 * AbortError thrown in response is not an internal error); otherwise what was thrown, mapped
 * to its status.
 */
function failureOf(error: unknown, ctx: CallContext): RpcStatusError {
  return toRpcStatusError(ctx.aborted() ? ctx.signal.reason : error, ctx.log);
}

/**
 * The built-in end of every call, around the custom interceptors and the handler: whatever
 * they threw becomes the status sent to the caller, once, and that final code is counted
 * (call-metrics.ts) and logged (call-logging.ts). It is one step with one `then` per call
 * rather than three async interceptors (error mapping inside metrics inside logging, as it
 * was), which cost three suspended frames and their promises on every call: the largest part
 * of what the runtime itself allocated for a fast call.
 */
export function callOutcome(logger: Logger, registry: Registry): Interceptor {
  const metricsOf = serverCallMetrics(registry);
  return (request, ctx, next) => {
    const metrics = metricsOf(ctx);
    const started = metrics.start();
    const failed = (error: unknown): never => {
      let status: RpcStatusError;
      try {
        status = failureOf(error, ctx);
      } catch (mappingFailed) {
        // Mapping logs internal errors; should that throw, the call still ends in the metrics
        // (an in-flight count never given back would stay up for good) with the code the
        // adapter's mapping gives an unexpected error, UNKNOWN.
        metrics.finish(started, Status.UNKNOWN);
        throw mappingFailed;
      }
      metrics.finish(started, status.code);
      logCallEnd(logger, ctx, status.code, status.reason, started);
      throw status;
    };
    return next(request, ctx).then((response) => {
      if (ctx.aborted()) return failed(undefined);
      metrics.finish(started, Status.OK);
      logCallEnd(logger, ctx, Status.OK, undefined, started);
      return response;
    }, failed);
  };
}
