import type { Metadata } from '@grpc/grpc-js';
import type { Logger } from 'pino';

/** Which shape of RPC a call is; interceptors see the same chain for both. */
export type CallKind = 'unary' | 'server-stream';

/**
 * A typed slot for per-call values that interceptors hand to handlers (for example the
 * authenticated API key). Keys are compared by identity, so two modules cannot collide by
 * picking the same name.
 */
export class CallKey<T> {
  /** Carries `T` at the type level only; never read at run time. */
  declare readonly valueType: T;

  /** @param description shown when debugging; has no meaning of its own. */
  constructor(readonly description: string) {}
}

/** Per-call values keyed by {@link CallKey}. */
export interface CallValues {
  get<T>(key: CallKey<T>): T | undefined;
  set<T>(key: CallKey<T>, value: T): void;
}

/** What a handler and every interceptor know about the call they serve. */
export interface CallContext {
  /** Full method path, e.g. `/tessera.issuer.v1.IssuerService/Vend`. */
  readonly method: string;
  readonly kind: CallKind;
  /** Request metadata. Holds credentials: never log its values. */
  readonly metadata: Metadata;
  /** Remote address as `ip:port`, or `unknown`; read from the connection on first use. */
  readonly peer: string;
  /** The caller's deadline in epoch milliseconds, or undefined when it set none. */
  readonly deadline: number | undefined;
  /**
   * Aborted when the client cancels, at the deadline, and, for server-streams, when the
   * server shuts down. Pass it to anything that waits, so an abandoned call stops working.
   */
  readonly signal: AbortSignal;
  /**
   * Whether the call has aborted (see `signal`), without making the signal: the runtime creates
   * a call's AbortSignal only when something asks for `signal`, since most calls finish without
   * anyone waiting on it and an AbortSignal is one of the costlier objects of a fast call.
   */
  aborted(): boolean;
  /**
   * The caller's `x-request-id` when it is a plain token, otherwise a fresh UUID, made on first
   * read; every read, and the child logger, see the same id.
   */
  readonly requestId: string;
  /** Child logger bound to `{ rpc, requestId }`. */
  readonly log: Logger;
  readonly values: CallValues;
}

/** A map that is only allocated when an interceptor actually stores something. */
export class LazyCallValues implements CallValues {
  #values: Map<CallKey<unknown>, unknown> | undefined;
  /**
   * How deep the call has gone into its interceptor chain (interceptor.ts): a link entered at
   * or above it is a second `next()`. Kept here because `values` is the one object every
   * `{ ...ctx }` an interceptor passes on keeps.
   */
  chainDepth = -1;

  get<T>(key: CallKey<T>): T | undefined {
    return this.#values?.get(key) as T | undefined;
  }

  set<T>(key: CallKey<T>, value: T): void {
    this.#values ??= new Map();
    this.#values.set(key, value);
  }
}

/**
 * A call's abort state. The AbortSignal is made on first use of `signal` (already aborted, with
 * the reason, when the call aborted before), so a call nobody waits on allocates none.
 */
export class LazyAbort {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  get aborted(): boolean {
    return this.#aborted;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Aborts with `reason`; later calls change nothing (the first reason is the outcome). */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
