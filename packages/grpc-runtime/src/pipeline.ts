import { setMaxListeners } from 'node:events';
import { type Clock, systemClock } from '@tessera/clock';
import type { Tracing } from '@tessera/tracing';
import type { Logger } from 'pino';
import { register as defaultRegistry, type Registry } from 'prom-client';
import type { Interceptor } from './interceptor.js';
import { callOutcome } from './interceptors/call-outcome.js';
import { callTracing } from './interceptors/call-tracing.js';
import { deadlineGuard } from './interceptors/deadline-guard.js';
import { shutdownGate } from './interceptors/shutdown-gate.js';

/** Everything the adapted handlers of one server share. */
export interface CallPipeline {
  /** Parent of every per-call child logger. */
  readonly logger: Logger;
  readonly clock: Clock;
  /** Aborts when the server begins to shut down. */
  readonly shutdownSignal: AbortSignal;
  /** The full chain, outermost first: built-ins, then the service's own. */
  readonly interceptors: readonly Interceptor[];
}

/** Options of {@link createCallPipeline}. */
export interface CallPipelineOptions {
  readonly logger: Logger;
  /** Where the RPC metrics go; prom-client's default registry when omitted. */
  readonly registry?: Registry;
  /** Used to judge deadlines; the system clock when omitted. */
  readonly clock?: Clock;
  /** Added inside the built-ins, right before the handler (e.g. authentication). */
  readonly interceptors?: readonly Interceptor[];
  /** Aborted by whoever owns the server when shutdown begins; never aborts when omitted. */
  readonly shutdownSignal?: AbortSignal;
  /** A server span around every call when tracing is on; nothing is added when omitted or off. */
  readonly tracing?: Tracing;
}

/**
 * Builds the call chain, from the outside in: tracing (when on), shutdown gate, deadline guard,
 * the call's outcome (its error mapped to a status, then counted and logged), then the custom
 * interceptors. The gate and the guard sit outside the outcome so that refusing work costs
 * next to nothing while a server drains or is overrun.
 */
export function createCallPipeline(options: CallPipelineOptions): CallPipeline {
  const clock = options.clock ?? systemClock;
  const shutdownSignal = options.shutdownSignal ?? new AbortController().signal;
  // Every open server-stream listens for shutdown; hundreds of sidecars is not a leak.
  setMaxListeners(0, shutdownSignal);
  return {
    logger: options.logger,
    clock,
    shutdownSignal,
    interceptors: [
      ...(options.tracing?.enabled ? [callTracing(options.tracing)] : []),
      shutdownGate(shutdownSignal),
      deadlineGuard(clock),
      callOutcome(options.logger, options.registry ?? defaultRegistry),
      ...(options.interceptors ?? []),
    ],
  };
}
