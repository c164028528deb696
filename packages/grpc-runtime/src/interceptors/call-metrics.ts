import { performance } from 'node:perf_hooks';
import { status as Status } from '@grpc/grpc-js';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Interceptor } from '../interceptor.js';
import { statusCodeOf } from '../rpc-status-error.js';

type MethodLabels = 'service' | 'method';

// Sub-millisecond validation up to multi-second Redis trouble.
const SECONDS_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

interface ServerMetrics {
  readonly started: Counter<MethodLabels>;
  readonly handled: Counter<MethodLabels | 'code'>;
  readonly seconds: Histogram<MethodLabels>;
  readonly inFlight: Gauge<MethodLabels>;
}

interface MethodMetrics {
  readonly labels: Readonly<Record<MethodLabels, string>>;
  readonly started: Counter.Internal;
  readonly seconds: Histogram.Internal<MethodLabels>;
  readonly inFlight: Gauge.Internal<MethodLabels>;
  readonly handled: Map<Status, Counter.Internal>;
}

/**
 * RED metrics per RPC: `grpc_server_started_total{service,method}`,
 * `grpc_server_handled_total{service,method,code}`,
 * `grpc_server_handling_seconds{service,method}` and `grpc_server_in_flight_calls{service,method}`.
 * Metrics already in the registry under these names are reused, so several servers (or
 * tests) can share one registry.
 */
export function callMetrics(registry: Registry): Interceptor {
  const metrics = serverMetrics(registry);
  const byMethod = new Map<string, MethodMetrics>();
  const methodMetrics = (path: string): MethodMetrics => {
    let found = byMethod.get(path);
    if (found === undefined) {
      const labels = splitMethodPath(path);
      found = {
        labels,
        started: metrics.started.labels(labels),
        seconds: metrics.seconds.labels(labels),
        inFlight: metrics.inFlight.labels(labels),
        handled: new Map(),
      };
      byMethod.set(path, found);
    }
    return found;
  };
  const countHandled = (method: MethodMetrics, code: Status) => {
    let counter = method.handled.get(code);
    if (counter === undefined) {
      counter = metrics.handled.labels({ ...method.labels, code: Status[code] });
      method.handled.set(code, counter);
    }
    counter.inc();
  };

  return async (request, ctx, next) => {
    const method = methodMetrics(ctx.method);
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

/** `/pkg.Service/Method` → `{ service: 'pkg.Service', method: 'Method' }`. */
export function splitMethodPath(path: string): Readonly<Record<MethodLabels, string>> {
  const slash = path.lastIndexOf('/');
  return { service: path.slice(1, slash), method: path.slice(slash + 1) };
}

function serverMetrics(registry: Registry): ServerMetrics {
  return {
    started: reuse(registry, Counter, {
      name: 'grpc_server_started_total',
      help: 'RPCs started on the server.',
      labelNames: ['service', 'method'],
      registers: [registry],
    }),
    handled: reuse(registry, Counter, {
      name: 'grpc_server_handled_total',
      help: 'RPCs completed on the server, by gRPC status code.',
      labelNames: ['service', 'method', 'code'],
      registers: [registry],
    }),
    seconds: reuse(registry, Histogram, {
      name: 'grpc_server_handling_seconds',
      help: 'Time from the start of an RPC to its status, in seconds.',
      labelNames: ['service', 'method'],
      buckets: SECONDS_BUCKETS,
      registers: [registry],
    }),
    inFlight: reuse(registry, Gauge, {
      name: 'grpc_server_in_flight_calls',
      help: 'RPCs currently being handled.',
      labelNames: ['service', 'method'],
      registers: [registry],
    }),
  };
}

function reuse<M, C extends { name: string }>(
  registry: Registry,
  Metric: new (configuration: C) => M,
  configuration: C,
): M {
  const existing = registry.getSingleMetric(configuration.name);
  return existing instanceof Metric ? existing : new Metric(configuration);
}
