import { randomUUID } from 'node:crypto';
import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { type CallContext, type CallKind, LazyAbort, LazyCallValues } from './call-context.js';
import { runtimeStatusError } from './error-mapping.js';
import type { CallPipeline } from './pipeline.js';
import { cancelledByClient } from './rpc-status-error.js';

/** What the scope needs of a grpc-js server call, unary or streaming. */
type SurfaceCall = Pick<
  ServerUnaryCall<unknown, unknown>,
  'cancelled' | 'metadata' | 'getPeer' | 'getDeadline' | 'on' | 'off'
>;

/** The per-call state the adapter owns: the context, and the wiring to release at the end. */
export interface CallScope {
  readonly ctx: CallContext;
  /** Detaches the call from the server; later cancellation events no longer abort it. */
  close(): void;
}

// A client cancels on its own deadline timer, which runs slightly ahead of ours (our deadline
// starts when the headers arrive), so a cancel this close to the deadline is the deadline.
const DEADLINE_SLACK_MS = 50;

// A caller-chosen id is only trusted as a correlation token when it cannot inject anything.
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Builds the context of one call. grpc-js emits `cancelled` on client cancel, at the
 * deadline, and after every normal end; the last case is ignored because the adapter closes
 * the scope before it settles the call.
 */
export function openCall(
  pipeline: CallPipeline,
  method: string,
  kind: CallKind,
  call: SurfaceCall,
): CallScope {
  const abortState = new LazyAbort();
  const deadline = toEpochMs(call.getDeadline());
  let closed = false;

  const abort = (reason: unknown) => {
    if (!closed) abortState.abort(reason);
  };
  // Long-lived streams must not hold a server in graceful shutdown; unary calls finish.
  const onShutdown = () => abort(runtimeStatusError('SHUTTING_DOWN', 'server is shutting down'));
  const onCancelled = () => {
    if (deadline !== undefined && pipeline.clock.now() >= deadline - DEADLINE_SLACK_MS) {
      abort(runtimeStatusError('DEADLINE_EXCEEDED', 'deadline exceeded'));
    } else if (pipeline.shutdownSignal.aborted) {
      // During shutdown, a cancel is most likely the grace period running out.
      onShutdown();
    } else {
      abort(cancelledByClient());
    }
  };

  call.on('cancelled', onCancelled);
  const watchShutdown = kind === 'server-stream';
  if (watchShutdown) pipeline.shutdownSignal.addEventListener('abort', onShutdown);
  if (call.cancelled) onCancelled();
  if (watchShutdown && pipeline.shutdownSignal.aborted) onShutdown();

  const ctx = callContext(pipeline, {
    method,
    kind,
    metadata: call.metadata,
    // Read now: the log lines that name the peer are mostly those of cancelled calls and calls
    // past their deadline, and once the stream has closed grpc-js can only say "unknown".
    peer: call.getPeer(),
    deadline,
    abortState,
  });
  return {
    ctx,
    close() {
      closed = true;
      call.off('cancelled', onCancelled);
      if (watchShutdown) pipeline.shutdownSignal.removeEventListener('abort', onShutdown);
    },
  };
}

function toEpochMs(deadline: Date | number): number | undefined {
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms : undefined;
}

/** What {@link callContext} builds a context from. */
export interface CallFacts {
  readonly method: string;
  readonly kind: CallKind;
  readonly metadata: Metadata;
  readonly peer: string;
  readonly deadline: number | undefined;
  /** Owned by the scope, which aborts it; the context only reads it. */
  readonly abortState: LazyAbort;
}

/**
 * The context of one call, unary, server-stream or carried by a multiplexed stream alike. What
 * most calls never read is made on first read and then kept: the request id (`x-request-id`
 * when it is a plain token, otherwise a random UUID, which costs a call to the CSPRNG), the
 * signal, and the child logger (binding values pass through pino's redaction, which
 * costs more than the rest of a fast call, and most successful calls never log). The request
 * id read first is the one the logger binds. A `{ ...ctx }` reads them all.
 */
export function callContext(pipeline: CallPipeline, facts: CallFacts): CallContext {
  const { method, metadata, abortState } = facts;
  let requestId: string | undefined;
  let log: Logger | undefined;
  return {
    method,
    kind: facts.kind,
    metadata,
    peer: facts.peer,
    deadline: facts.deadline,
    get signal() {
      return abortState.signal;
    },
    aborted: () => abortState.aborted,
    get requestId() {
      requestId ??= requestIdOf(metadata);
      return requestId;
    },
    get log() {
      log ??= pipeline.logger.child({ rpc: method, requestId: this.requestId });
      return log;
    },
    values: new LazyCallValues(),
  };
}

function requestIdOf(metadata: Metadata): string {
  const value = metadata.get('x-request-id')[0];
  return typeof value === 'string' && REQUEST_ID_PATTERN.test(value) ? value : randomUUID();
}
