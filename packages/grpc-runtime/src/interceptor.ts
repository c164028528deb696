import type { CallContext } from './call-context.js';

/**
 * Continues the call: the next interceptor, or the handler. For a unary call it resolves with
 * the response; for a server-stream it resolves once the last message has been written.
 */
export type Next = (request: unknown, ctx: CallContext) => Promise<unknown>;

/**
 * Middleware around every call (unary and server-stream alike). It may inspect the request
 * and context, reject by throwing (a TesseraError becomes the matching status), pass a
 * different context on (`{ ...ctx, log }`), and observe the outcome by awaiting `next`.
 * Custom interceptors run inside the built-in ones, so what they throw is mapped, logged
 * and counted like a handler's error.
 */
export type Interceptor = (request: unknown, ctx: CallContext, next: Next) => Promise<unknown>;

/**
 * Runs `interceptors` from the outside in around `terminal`. A synchronous throw anywhere
 * becomes a rejection, and a second `next()` is refused, so the adapter settles each call
 * exactly once.
 */
export function runInterceptors(
  interceptors: readonly Interceptor[],
  request: unknown,
  ctx: CallContext,
  terminal: Next,
): Promise<unknown> {
  const dispatch = (index: number, request: unknown, ctx: CallContext): Promise<unknown> => {
    const interceptor = interceptors[index];
    try {
      if (interceptor === undefined) return Promise.resolve(terminal(request, ctx));
      let called = false;
      const next: Next = (nextRequest, nextCtx) => {
        if (called) return Promise.reject(new Error('next() called more than once'));
        called = true;
        return dispatch(index + 1, nextRequest, nextCtx);
      };
      return Promise.resolve(interceptor(request, ctx, next));
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return dispatch(0, request, ctx);
}
