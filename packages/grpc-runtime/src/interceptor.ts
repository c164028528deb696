import { type CallContext, LazyCallValues } from './call-context.js';

/**
 * Continues the call: the next interceptor, or the handler. For a unary call it resolves with
 * the response; for a server-stream it resolves once the last message has been written.
 */
export type Next = (request: unknown, ctx: CallContext) => Promise<unknown>;

/**
 * Middleware around every call (unary and server-stream alike). It may inspect the request
 * and context, reject by throwing (a TesseraError becomes the matching status), pass a
 * different context on (`{ ...ctx, log }`), and observe the outcome by awaiting `next`. A
 * context passed on keeps the call's `values`, `signal` and `aborted` (spread them, never
 * replace them): they are how the chain knows the call, and how it learns the call aborted.
 * Custom interceptors run inside the built-in ones, so what they throw is mapped, logged
 * and counted like a handler's error.
 */
export type Interceptor = (request: unknown, ctx: CallContext, next: Next) => Promise<unknown>;

/** A composed chain: the interceptors around the terminal, ready to run one call. */
export type Chain = (request: unknown, ctx: CallContext) => Promise<unknown>;

// How deep a call has gone into its chain is kept on the call's values (one object per call,
// kept by every `{ ...ctx }` an interceptor passes on): a link entered at or above a level the
// call already reached is a second `next()`. The runtime's contexts carry LazyCallValues,
// which has a field for it; a context built elsewhere with values of its own is tracked here
// (an entry per call in a WeakMap costs the collector more, so it is only the fallback).
const reachedElsewhere = new WeakMap<object, number>();

/**
 * Composes `interceptors` (outermost first) around `terminal` once, so a call allocates no
 * closures for the chain: each link is made here, not per call. A synchronous throw anywhere
 * becomes a rejection, and a second `next()` from the same interceptor in the same call is
 * refused, so the adapter settles each call exactly once.
 */
export function composeInterceptors(interceptors: readonly Interceptor[], terminal: Next): Chain {
  const depth = interceptors.length;
  let link: Chain = (request, ctx) => {
    if (!enter(ctx, depth)) return secondNext();
    try {
      return Promise.resolve(terminal(request, ctx));
    } catch (error) {
      return Promise.reject(error);
    }
  };
  for (let level = depth - 1; level >= 0; level--) {
    const interceptor = interceptors[level];
    if (interceptor === undefined) continue;
    const next = link;
    link = (request, ctx) => {
      if (!enter(ctx, level)) return secondNext();
      try {
        return Promise.resolve(interceptor(request, ctx, next));
      } catch (error) {
        return Promise.reject(error);
      }
    };
  }
  return link;
}

/** Records that the call of `ctx` entered `level`; false when it had already got that far. */
function enter(ctx: CallContext, level: number): boolean {
  const values = ctx.values;
  if (values instanceof LazyCallValues) {
    if (values.chainDepth >= level) return false;
    values.chainDepth = level;
    return true;
  }
  const deepest = reachedElsewhere.get(values);
  if (deepest !== undefined && deepest >= level) return false;
  reachedElsewhere.set(values, level);
  return true;
}

function secondNext(): Promise<never> {
  return Promise.reject(new Error('next() called more than once'));
}

/**
 * Runs `interceptors` from the outside in around `terminal`, for one call: a chain composed
 * for this call alone. The adapters compose once per method instead ({@link composeInterceptors}).
 */
export function runInterceptors(
  interceptors: readonly Interceptor[],
  request: unknown,
  ctx: CallContext,
  terminal: Next,
): Promise<unknown> {
  return composeInterceptors(interceptors, terminal)(request, ctx);
}
