import { performance } from 'node:perf_hooks';
import {
  type Interceptor as ClientInterceptor,
  InterceptingCall,
  type InterceptorOptions,
  type NextCall,
  type StatusObject,
} from '@grpc/grpc-js';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  GRPC_CODE_NAMES,
  type GrpcType,
  grpcMetricFamilies,
  type MethodLabels,
  methodLabels,
} from './grpc-metric-families.js';

interface MethodMetrics {
  readonly labels: Readonly<Record<MethodLabels, string>>;
  readonly started: Counter.Internal;
  readonly seconds: Histogram.Internal<MethodLabels>;
  readonly inFlight: Gauge.Internal<MethodLabels>;
  readonly handled: (Counter.Internal | undefined)[];
}

function grpcType(requestStream: boolean, responseStream: boolean): GrpcType {
  if (requestStream) return responseStream ? 'bidi_stream' : 'client_stream';
  return responseStream ? 'server_stream' : 'unary';
}

/**
 * A grpc-js client interceptor that records the calls this process makes, with the same
 * conventions as the server side: `grpc_client_started_total`, `grpc_client_handled_total`
 * (with `grpc_code` by name), `grpc_client_handling_seconds` and `grpc_client_in_flight_calls`,
 * labelled `grpc_type`, `grpc_service`, `grpc_method`. Give it to a generated client as
 * `{ interceptors: [clientCallMetrics(registry)] }`; one instance per registry serves every
 * client of the process. Label children are found once per method and code.
 */
export function clientCallMetrics(registry: Registry): ClientInterceptor {
  const families = grpcMetricFamilies(registry, 'client');
  const byMethod = new Map<string, MethodMetrics>();
  const methodMetrics = (options: InterceptorOptions): MethodMetrics => {
    const definition = options.method_definition;
    let found = byMethod.get(definition.path);
    if (found === undefined) {
      const labels = methodLabels(
        definition.path,
        grpcType(definition.requestStream, definition.responseStream),
      );
      found = {
        labels,
        started: families.started.labels(labels),
        seconds: families.seconds.labels(labels),
        inFlight: families.inFlight.labels(labels),
        handled: [],
      };
      byMethod.set(definition.path, found);
    }
    return found;
  };
  const finish = (method: MethodMetrics, started: number, status: StatusObject) => {
    method.inFlight.dec();
    method.seconds.observe((performance.now() - started) / 1000);
    let counter = method.handled[status.code];
    if (counter === undefined) {
      counter = families.handled.labels({
        ...method.labels,
        grpc_code: GRPC_CODE_NAMES[status.code] ?? 'UNKNOWN',
      });
      method.handled[status.code] = counter;
    }
    counter.inc();
  };

  return (options: InterceptorOptions, nextCall: NextCall) => {
    const method = methodMetrics(options);
    const started = performance.now();
    method.started.inc();
    method.inFlight.inc();
    return new InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            finish(method, started, status);
            nextStatus(status);
          },
        });
      },
    });
  };
}
