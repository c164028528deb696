import { status as Status } from '@grpc/grpc-js';
import type { transportV1 } from '@tessera/contracts';
import type { MultiplexErrors } from './multiplex-errors.js';

/** Where a sent call lives, so a deadline or an abort can tell the server to stop. */
export interface CallCarrier {
  cancel(requestId: number): void;
}

/**
 * One call of a stream multiplexer from the moment it is made until it settles, queued or sent.
 * It settles exactly once: with the response bytes, the server's status, or the client's own
 * deadline / cancel (which also sends Cancel to the server when the call was already sent).
 */
export class PendingCall<E> {
  readonly method: string;
  readonly request: Uint8Array;
  readonly deadline: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly #errors: MultiplexErrors<E>;
  readonly #resolve: (response: Uint8Array) => void;
  readonly #reject: (error: E) => void;
  readonly #signal: AbortSignal | undefined;
  readonly #timer: NodeJS.Timeout;
  #settled = false;
  #sent: { carrier: CallCarrier; requestId: number } | undefined;
  /** Called once when the call settles, whatever way (to leave a queue or free a slot). */
  onSettled: (() => void) | undefined;

  constructor(parts: {
    method: string;
    request: Uint8Array;
    deadline: number;
    metadata: Readonly<Record<string, string>> | undefined;
    errors: MultiplexErrors<E>;
    resolve: (response: Uint8Array) => void;
    reject: (error: E) => void;
    signal: AbortSignal | undefined;
  }) {
    this.method = parts.method;
    this.request = parts.request;
    this.deadline = parts.deadline;
    this.metadata = parts.metadata ?? {};
    this.#errors = parts.errors;
    this.#resolve = parts.resolve;
    this.#reject = parts.reject;
    this.#signal = parts.signal;
    this.#timer = setTimeout(
      // The server was given the same deadline and stops on its own, as DEADLINE_EXCEEDED.
      () => this.#abandon(this.#errors.local(Status.DEADLINE_EXCEEDED, 'Deadline exceeded'), false),
      Math.max(0, parts.deadline - Date.now()),
    );
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Milliseconds the server still has, at least 1 (0 would mean "no deadline"). */
  timeLeftMs(): number {
    return Math.max(1, Math.ceil(this.deadline - Date.now()));
  }

  /** Records where the call was sent. */
  sentOn(carrier: CallCarrier, requestId: number): void {
    this.#sent = { carrier, requestId };
  }

  /** Settles with the server's Result. */
  complete(outcome: transportV1.Result['outcome']): void {
    if (outcome?.$case === 'response') {
      if (this.#settle()) this.#resolve(outcome.value);
    } else if (outcome?.$case === 'error') {
      this.fail(this.#errors.fromStatus(outcome.value));
    } else {
      this.fail(this.#errors.local(Status.INTERNAL, 'the server sent an empty result'));
    }
  }

  /** Settles with a failure. */
  fail(error: E): void {
    if (this.#settle()) this.#reject(error);
  }

  readonly #onAbort = () =>
    this.#abandon(this.#errors.local(Status.CANCELLED, 'Cancelled on client'), true);

  #abandon(error: E, tellServer: boolean): void {
    const sent = this.#sent;
    if (!this.#settle()) return;
    if (tellServer) sent?.carrier.cancel(sent.requestId);
    this.#reject(error);
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.onSettled?.();
    return true;
  }
}
