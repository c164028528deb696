import type { Metadata } from '@grpc/grpc-js';
import { type CallContext, LazyAbort } from '../call-context.js';
import { callContext } from '../call-scope.js';
import { runtimeStatusError } from '../error-mapping.js';
import type { CallPipeline } from '../pipeline.js';
import { cancelledByClient } from '../rpc-status-error.js';

/** One call carried by a multiplexed stream, as the server sees it. */
export interface CarriedCallScope {
  readonly ctx: CallContext;
  /** Aborts the call as cancelled by the client (a Cancel envelope, or the stream went away). */
  cancel(): void;
  /** Releases the deadline timer; later cancels are ignored. */
  close(): void;
}

/**
 * Builds the context of a carried call so that the chain cannot tell it from a unary call:
 * kind `unary`, the merged metadata, the stream's peer, a deadline of now + the time the
 * caller still gave it, and a signal that aborts on Cancel, at the deadline, or when the
 * stream ends. Like unary calls (and unlike server-streams), shutdown does not abort it: a
 * draining server finishes what it accepted.
 */
export function openCarriedCall(
  pipeline: CallPipeline,
  method: string,
  metadata: Metadata,
  peer: string,
  timeoutMs: number,
): CarriedCallScope {
  const abortState = new LazyAbort();
  const deadline = timeoutMs > 0 ? pipeline.clock.now() + timeoutMs : undefined;
  let closed = false;
  const abort = (reason: unknown) => {
    if (!closed) abortState.abort(reason);
  };
  const timer =
    timeoutMs > 0
      ? setTimeout(
          () => abort(runtimeStatusError('DEADLINE_EXCEEDED', 'deadline exceeded')),
          timeoutMs,
        )
      : undefined;
  const ctx = callContext(pipeline, {
    method,
    kind: 'unary',
    metadata,
    peer,
    deadline,
    abortState,
  });
  return {
    ctx,
    cancel: () => abort(cancelledByClient()),
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
