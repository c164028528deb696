import { status as Status } from '@grpc/grpc-js';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The labels every gRPC call metric carries (go-grpc-prometheus names). */
export type MethodLabels = 'grpc_type' | 'grpc_service' | 'grpc_method';

/** `grpc_type` values, as go-grpc-prometheus spells them. */
export type GrpcType = 'unary' | 'server_stream' | 'client_stream' | 'bidi_stream';

/** Status code → its name (`OK`, `NOT_FOUND`…), indexed by the numeric code. */
export const GRPC_CODE_NAMES: readonly string[] = Object.freeze(
  Array.from({ length: 17 }, (_, code) => Status[code] ?? 'UNKNOWN'),
);

// Sub-millisecond validation up to multi-second Redis trouble.
const SECONDS_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Which side of gRPC calls a family counts: calls served, or calls made by this process. */
export type CallSide = 'server' | 'client';

/** The four metric families of one side (server or client) of gRPC calls. */
export interface GrpcMetricFamilies {
  readonly started: Counter<MethodLabels>;
  readonly handled: Counter<MethodLabels | 'grpc_code'>;
  readonly seconds: Histogram<MethodLabels>;
  readonly inFlight: Gauge<MethodLabels>;
  /**
   * Whether `started`, `handled` and `inFlight` were made by this call and so run the given
   * collectors when scraped; false when any of them was already in the registry, made by
   * someone else (another copy of this module, or the application), whose values only change
   * when updated directly.
   */
  readonly collecting: boolean;
}

/**
 * Push what was counted in plain numbers into a family when prom-client collects it (on every
 * scrape, before it reads the values), so the hot path never touches prom-client's label maps.
 */
export interface FamilyCollectors {
  started(counter: Counter<MethodLabels>): void;
  handled(counter: Counter<MethodLabels | 'grpc_code'>): void;
  inFlight(gauge: Gauge<MethodLabels>): void;
}

/**
 * `/pkg.Service/Method` → the method labels of one call, e.g.
 * `{ grpc_type: 'unary', grpc_service: 'pkg.Service', grpc_method: 'Method' }`.
 */
export function methodLabels(path: string, type: GrpcType): Readonly<Record<MethodLabels, string>> {
  const slash = path.lastIndexOf('/');
  return {
    grpc_type: type,
    grpc_service: path.slice(1, slash),
    grpc_method: path.slice(slash + 1),
  };
}

/** The name of `grpc_<side>_started_total`, by which a family set is found in a registry. */
export function startedFamilyName(side: CallSide): string {
  return `grpc_${side}_started_total`;
}

/**
 * The families `grpc_<side>_started_total`, `grpc_<side>_handled_total`,
 * `grpc_<side>_handling_seconds` and `grpc_<side>_in_flight_calls` in `registry`, reusing
 * those already registered. Those made here run `collectors` when scraped; see `collecting`
 * for what to do when some were reused.
 */
export function grpcMetricFamilies(
  registry: Registry,
  side: CallSide,
  collectors: FamilyCollectors,
): GrpcMetricFamilies {
  const who = side === 'server' ? 'on the server' : 'by this process as a client';
  const labelNames: MethodLabels[] = ['grpc_type', 'grpc_service', 'grpc_method'];
  const names = {
    started: startedFamilyName(side),
    handled: `grpc_${side}_handled_total`,
    inFlight: `grpc_${side}_in_flight_calls`,
  };
  const collecting = Object.values(names).every(
    (name) => registry.getSingleMetric(name) === undefined,
  );
  return {
    started: reuse(registry, Counter, {
      name: names.started,
      help: `RPCs started ${who}.`,
      labelNames,
      registers: [registry],
      collect(this: Counter<MethodLabels>) {
        collectors.started(this);
      },
    }),
    handled: reuse(registry, Counter, {
      name: names.handled,
      help: `RPCs completed ${who}, by gRPC status code name.`,
      labelNames: [...labelNames, 'grpc_code'],
      registers: [registry],
      collect(this: Counter<MethodLabels | 'grpc_code'>) {
        collectors.handled(this);
      },
    }),
    seconds: reuse(registry, Histogram, {
      name: `grpc_${side}_handling_seconds`,
      help: `Time from the start of an RPC ${who} to its status, in seconds.`,
      labelNames,
      buckets: SECONDS_BUCKETS,
      registers: [registry],
    }),
    inFlight: reuse(registry, Gauge, {
      name: names.inFlight,
      help: `RPCs currently in flight ${who}.`,
      labelNames,
      registers: [registry],
      collect(this: Gauge<MethodLabels>) {
        collectors.inFlight(this);
      },
    }),
    collecting,
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
