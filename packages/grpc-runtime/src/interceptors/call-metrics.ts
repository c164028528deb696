import { performance } from 'node:perf_hooks';
import { status as Status } from '@grpc/grpc-js';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallKind } from '../call-context.js';
import type { Interceptor } from '../interceptor.js';
import {
  GRPC_CODE_NAMES,
  type GrpcType,
  grpcMetricFamilies,
  type MethodLabels,
  methodLabels,
} from '../metrics/grpc-metric-families.js';
import { statusCodeOf } from '../rpc-status-error.js';

interface MethodMetrics {
  readonly labels: Readonly<Record<MethodLabels, string>>;
  readonly started: Counter.Internal;
  readonly seconds: Histogram.Internal<MethodLabels>;
  readonly inFlight: Gauge.Internal<MethodLabels>;
  /** Children of `grpc_server_handled_total` by status code, made on first use. */
  readonly handled: (Counter.Internal | undefined)[];
}

const GRPC_TYPE: Readonly<Record<CallKind, GrpcType>> = {
  unary: 'unary',
  'server-stream': 'server_stream',
};

/**
 * RED metrics per RPC with the labels of the common gRPC Prometheus conventions
 * (go-grpc-prometheus, grpc-ecosystem/java-grpc-prometheus), so existing dashboards work:
 * `grpc_server_started_total`, `grpc_server_handled_total{…,grpc_code}` (the code's name:
 * `OK`, `NOT_FOUND`…), `grpc_server_handling_seconds`, each labelled `grpc_type`,
 * `grpc_service`, `grpc_method`; plus `grpc_server_in_flight_calls`. Label children are
 * looked up once per method and code, so a call costs two map lookups, no label object.
 * Metrics already in the registry under these names are reused, so several servers (or
 * tests) can share one registry.
 */
export function callMetrics(registry: Registry): Interceptor {
  const families = grpcMetricFamilies(registry, 'server');
  const byMethod = new Map<string, MethodMetrics>();
  const methodMetrics = (path: string, kind: CallKind): MethodMetrics => {
    let found = byMethod.get(path);
    if (found === undefined) {
      const labels = methodLabels(path, GRPC_TYPE[kind]);
      found = {
        labels,
        started: families.started.labels(labels),
        seconds: families.seconds.labels(labels),
        inFlight: families.inFlight.labels(labels),
        handled: [],
      };
      byMethod.set(path, found);
    }
    return found;
  };
  const countHandled = (method: MethodMetrics, code: Status) => {
    let counter = method.handled[code];
    if (counter === undefined) {
      counter = families.handled.labels({
        ...method.labels,
        grpc_code: GRPC_CODE_NAMES[code] ?? 'UNKNOWN',
      });
      method.handled[code] = counter;
    }
    counter.inc();
  };

  return async (request, ctx, next) => {
    const method = methodMetrics(ctx.method, ctx.kind);
    const started = performance.now();
    method.started.inc();
    method.inFlight.inc();
    let code: Status = Status.OK;
    try {
      return await next(request, ctx);
    } catch (error) {
      code = statusCodeOf(error);
      throw error;
    } finally {
      method.inFlight.dec();
      method.seconds.observe((performance.now() - started) / 1000);
      countHandled(method, code);
    }
  };
}
