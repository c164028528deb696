import type { Registry } from 'prom-client';
import type { CallContext, CallKind } from '../call-context.js';
import { callTally, type MethodCalls } from '../metrics/call-tally.js';
import type { GrpcType } from '../metrics/grpc-metric-families.js';

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
 * Returns where a call's start and end are recorded (by call-outcome.ts).
 */
export function serverCallMetrics(registry: Registry): (ctx: CallContext) => MethodCalls {
  const tally = callTally(registry, 'server');
  return (ctx) => tally.method(ctx.method, GRPC_TYPE[ctx.kind]);
}
