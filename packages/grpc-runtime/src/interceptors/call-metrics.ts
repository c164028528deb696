import { performance } from 'node:perf_hooks';
import { status as Status } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import type { CallKind } from '../call-context.js';
import type { Interceptor } from '../interceptor.js';
import { callTally } from '../metrics/call-tally.js';
import type { GrpcType } from '../metrics/grpc-metric-families.js';
import { statusCodeOf } from '../rpc-status-error.js';

const GRPC_TYPE: Readonly<Record<CallKind, GrpcType>> = {
  unary: 'unary',
  'server-stream': 'server_stream',
};

/**
 * RED metrics per RPC with the labels of the common gRPC Prometheus conventions
 * (go-grpc-prometheus, grpc-ecosystem/java-grpc-prometheus), so existing dashboards work:
 * `grpc_server_started_total`, `grpc_server_handled_total{…,grpc_code}` (the code's name:
 * `OK`, `NOT_FOUND`…), `grpc_server_handling_seconds`, each labelled `grpc_type`,
 * `grpc_service`, `grpc_method`; plus `grpc_server_in_flight_calls`. Calls are counted in the
 * registry's server-side tally (see call-tally.ts): plain numbers per method and code, pushed
 * into the counters and the gauge when they are scraped, so a call costs one map lookup, a
 * few additions and one histogram observation. Every server on one registry shares the tally.
 */
export function callMetrics(registry: Registry): Interceptor {
  const tally = callTally(registry, 'server');
  return async (request, ctx, next) => {
    const method = tally.method(ctx.method, GRPC_TYPE[ctx.kind]);
    const started = performance.now();
    method.start();
    let code: Status = Status.OK;
    try {
      return await next(request, ctx);
    } catch (error) {
      code = statusCodeOf(error);
      throw error;
    } finally {
      method.finish((performance.now() - started) / 1000, code);
    }
  };
}
