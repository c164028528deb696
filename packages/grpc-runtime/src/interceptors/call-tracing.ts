import type { Metadata } from '@grpc/grpc-js';
import type { HeaderSource, Tracing } from '@tessera/tracing';
import type { Interceptor } from '../interceptor.js';
import { statusCodeOf } from '../rpc-status-error.js';

/**
 * A server span per unary call, continuing the caller's `traceparent`, and active for the rest
 * of the chain and the handler, so log lines, Redis commands and outgoing calls join it. It
 * sits outermost: a call refused at the gate or past its deadline is seen in the trace too.
 * Server-streams (WatchKeys, WatchRevocations) are subscriptions that live for hours, not
 * requests: they get no span, so their periodic reads do not flood a trace.
 */
export function callTracing(tracing: Tracing): Interceptor {
  const fields = tracing.propagationFields;
  return async (request, ctx, next) => {
    if (ctx.kind !== 'unary') return next(request, ctx);
    const rpc = tracing.startRpcServerSpan(ctx.method, traceHeaders(ctx.metadata, fields));
    try {
      const response = await rpc.run(() => next(request, ctx));
      rpc.end(0);
      return response;
    } catch (error) {
      rpc.end(statusCodeOf(error));
      throw error;
    }
  };
}

/** Only the trace context fields: metadata also holds credentials, which spans never see. */
function traceHeaders(metadata: Metadata, fields: readonly string[]): HeaderSource {
  const headers: Record<string, string> = {};
  for (const field of fields) {
    const value = metadata.get(field)[0];
    if (typeof value === 'string') headers[field] = value;
  }
  return headers;
}
