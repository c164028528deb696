import { performance } from 'node:perf_hooks';
import {
  type Interceptor as ClientInterceptor,
  InterceptingCall,
  type InterceptorOptions,
  type NextCall,
  status as Status,
  type StatusObject,
} from '@grpc/grpc-js';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallTransport } from '../caller.js';
import { isGrpcStatusLike } from '../grpc-status-like.js';
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

/** The method of a call, as both grpc-js and ts-proto's service definitions describe it. */
interface CalledMethod {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

/** Records calls made by this process; one per registry, shared by every client and transport. */
class ClientCallRecorder {
  readonly #families: ReturnType<typeof grpcMetricFamilies>;
  readonly #byMethod = new Map<string, MethodMetrics>();

  constructor(registry: Registry) {
    this.#families = grpcMetricFamilies(registry, 'client');
  }

  /** Counts a call as started; the returned function records its end with the status code. */
  start(definition: CalledMethod): (code: number) => void {
    const method = this.#method(definition);
    const started = performance.now();
    method.started.inc();
    method.inFlight.inc();
    return (code) => this.#finish(method, started, code);
  }

  #method(definition: CalledMethod): MethodMetrics {
    let found = this.#byMethod.get(definition.path);
    if (found === undefined) {
      const labels = methodLabels(
        definition.path,
        grpcType(definition.requestStream, definition.responseStream),
      );
      found = {
        labels,
        started: this.#families.started.labels(labels),
        seconds: this.#families.seconds.labels(labels),
        inFlight: this.#families.inFlight.labels(labels),
        handled: [],
      };
      this.#byMethod.set(definition.path, found);
    }
    return found;
  }

  #finish(method: MethodMetrics, started: number, code: number): void {
    method.inFlight.dec();
    method.seconds.observe((performance.now() - started) / 1000);
    let counter = method.handled[code];
    if (counter === undefined) {
      counter = this.#families.handled.labels({
        ...method.labels,
        grpc_code: GRPC_CODE_NAMES[code] ?? 'UNKNOWN',
      });
      method.handled[code] = counter;
    }
    counter.inc();
  }
}

const recorders = new WeakMap<Registry, ClientCallRecorder>();

function recorderFor(registry: Registry): ClientCallRecorder {
  let recorder = recorders.get(registry);
  if (recorder === undefined) {
    recorder = new ClientCallRecorder(registry);
    recorders.set(registry, recorder);
  }
  return recorder;
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
  const recorder = recorderFor(registry);
  return (options: InterceptorOptions, nextCall: NextCall) => {
    const finish = recorder.start(options.method_definition);
    return new InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        next(metadata, {
          onReceiveStatus(status: StatusObject, nextStatus) {
            finish(status.code);
            nextStatus(status);
          },
        });
      },
    });
  };
}

/**
 * The same `grpc_client_*` metrics for calls carried by a {@link CallTransport}: over the
 * stream transport many calls share one long-lived stream, so a channel interceptor would
 * see only the stream; this counts each carried call under its own method, `grpc_type`
 * `unary`, exactly as the unary transport's calls are counted.
 */
export function measuredTransport(transport: CallTransport, registry: Registry): CallTransport {
  const recorder = recorderFor(registry);
  return {
    call(method, request, options) {
      const finish = recorder.start(method);
      return transport.call(method, request, options).then(
        (response) => {
          finish(0);
          return response;
        },
        (error: unknown) => {
          finish(isGrpcStatusLike(error) ? error.code : Status.UNKNOWN);
          throw error;
        },
      );
    },
    close: () => transport.close(),
  };
}
