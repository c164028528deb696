import { performance } from 'node:perf_hooks';
import { status as Status } from '@grpc/grpc-js';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  type CallSide,
  GRPC_CODE_NAMES,
  type GrpcMetricFamilies,
  type GrpcType,
  grpcMetricFamilies,
  type MethodLabels,
  methodLabels,
  startedFamilyName,
} from './grpc-metric-families.js';

/** How the calls of one method are recorded: found once per method, then two calls per RPC. */
export interface MethodCalls {
  /** Counts a call as started and in flight; returns its start, to hand to `finish`. */
  start(): number;
  /** Counts the end of the call that started at `started` with status `code`. */
  finish(started: number, code: number): void;
}

/** Seconds since `started` (a `performance.now()` instant). */
function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}

type Labels = Readonly<Record<MethodLabels, string>>;

// A code outside grpc-js's range has no name of its own; it is exported as UNKNOWN.
function codeIndex(code: number): number {
  return Number.isInteger(code) && code >= 0 && code < GRPC_CODE_NAMES.length
    ? code
    : Status.UNKNOWN;
}

/**
 * One method's calls in plain numbers, read by the collectors at scrape time: prom-client
 * hashes the label set on every `inc`, `dec` and `set`, even on a child from `labels()`, and
 * four of those per call were most of what metrics cost a fast call. The histogram has no
 * public way to add bucket counts in bulk, so it is still observed per call.
 */
class TalliedMethod implements MethodCalls {
  /** Calls started since `grpc_<side>_started_total` was last collected. */
  startedSince = 0;
  /** Calls started and not yet finished. */
  inFlight = 0;
  /** Calls finished since `grpc_<side>_handled_total` was last collected, by status code. */
  readonly handledSince = new Float64Array(GRPC_CODE_NAMES.length);
  readonly labels: Labels;
  readonly #seconds: Histogram.Internal<MethodLabels>;

  constructor(labels: Labels, seconds: Histogram.Internal<MethodLabels>) {
    this.labels = labels;
    this.#seconds = seconds;
  }

  start(): number {
    this.startedSince++;
    this.inFlight++;
    return performance.now();
  }

  finish(started: number, code: number): void {
    this.inFlight--;
    this.#seconds.observe(secondsSince(started));
    const index = codeIndex(code);
    this.handledSince[index] = (this.handledSince[index] ?? 0) + 1;
  }
}

/**
 * One method's calls counted straight into prom-client, for families that were already in the
 * registry without this module's collectors (see {@link callTally}): slower, but exact.
 */
class DirectMethod implements MethodCalls {
  readonly #labels: Labels;
  readonly #families: GrpcMetricFamilies;
  readonly #started: Counter.Internal;
  readonly #inFlight: Gauge.Internal<MethodLabels>;
  readonly #seconds: Histogram.Internal<MethodLabels>;
  /** Children of `grpc_<side>_handled_total` by status code, made on first use. */
  readonly #handled: (Counter.Internal | undefined)[] = [];

  constructor(labels: Labels, families: GrpcMetricFamilies) {
    this.#labels = labels;
    this.#families = families;
    this.#started = families.started.labels(labels);
    this.#inFlight = families.inFlight.labels(labels);
    this.#seconds = families.seconds.labels(labels);
  }

  start(): number {
    this.#started.inc();
    this.#inFlight.inc();
    return performance.now();
  }

  finish(started: number, code: number): void {
    this.#inFlight.dec();
    this.#seconds.observe(secondsSince(started));
    this.#handledChild(codeIndex(code)).inc();
  }

  #handledChild(code: number): Counter.Internal {
    let child = this.#handled[code];
    if (child === undefined) {
      child = this.#families.handled.labels({ ...this.#labels, grpc_code: nameOf(code) });
      this.#handled[code] = child;
    }
    return child;
  }
}

function nameOf(code: number): string {
  return GRPC_CODE_NAMES[code] ?? 'UNKNOWN';
}

/**
 * The calls of one side (server or client) in one registry, shared by every interceptor,
 * recorder and transport that records into it: the registry's families carry one collector
 * each, so whatever recorded a call, the next scrape sees it.
 */
export class CallTally {
  readonly #side: CallSide;
  readonly #families: GrpcMetricFamilies;
  readonly #byPath = new Map<string, MethodCalls>();
  /** The methods whose counts the collectors push; empty when the families are not ours. */
  readonly #tallied: TalliedMethod[] = [];

  constructor(registry: Registry, side: CallSide) {
    this.#side = side;
    this.#families = grpcMetricFamilies(registry, side, {
      started: (counter) => this.#collectStarted(counter),
      handled: (counter) => this.#collectHandled(counter),
      inFlight: (gauge) => this.#collectInFlight(gauge),
    });
  }

  /** Whether `registry` still holds this tally's families (not so once it was cleared). */
  isIn(registry: Registry): boolean {
    return registry.getSingleMetric(startedFamilyName(this.#side)) === this.#families.started;
  }

  /** The recorder of the method at `path`, made on its first call. */
  method(path: string, type: GrpcType): MethodCalls {
    return this.#byPath.get(path) ?? this.#add(path, type);
  }

  #add(path: string, type: GrpcType): MethodCalls {
    const labels = methodLabels(path, type);
    let method: MethodCalls;
    if (this.#families.collecting) {
      const tallied = new TalliedMethod(labels, this.#families.seconds.labels(labels));
      this.#tallied.push(tallied);
      method = tallied;
    } else {
      method = new DirectMethod(labels, this.#families);
    }
    this.#byPath.set(path, method);
    return method;
  }

  // Collectors run synchronously inside prom-client's get(), so no call can start or end
  // between reading a count and zeroing it: each call is pushed exactly once.

  #collectStarted(counter: Counter<MethodLabels>): void {
    for (const method of this.#tallied) {
      if (method.startedSince > 0) counter.inc(method.labels, method.startedSince);
      method.startedSince = 0;
    }
  }

  #collectHandled(counter: Counter<MethodLabels | 'grpc_code'>): void {
    for (const method of this.#tallied) {
      const handled = method.handledSince;
      handled.forEach((count, code) => {
        if (count > 0) counter.inc({ ...method.labels, grpc_code: nameOf(code) }, count);
      });
      handled.fill(0);
    }
  }

  #collectInFlight(gauge: Gauge<MethodLabels>): void {
    for (const method of this.#tallied) gauge.set(method.labels, method.inFlight);
  }
}

const tallies: Readonly<Record<CallSide, WeakMap<Registry, CallTally>>> = {
  server: new WeakMap(),
  client: new WeakMap(),
};

/**
 * The tally of `side` in `registry`, made together with the families on first use, so that
 * one tally is the families' only collector however many servers, clients or tests share the
 * registry. When the families were already registered by someone else (another copy of this
 * module, or the application), they carry no collector of ours and a tally would never be
 * pushed: calls are then counted straight into them, with prom-client's per-call hashing, so
 * that nothing is lost. A registry that was cleared since gets a new tally and new families.
 */
export function callTally(registry: Registry, side: CallSide): CallTally {
  const known = tallies[side].get(registry);
  if (known?.isIn(registry)) return known;
  const tally = new CallTally(registry, side);
  tallies[side].set(registry, tally);
  return tally;
}
