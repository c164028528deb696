import type { ApiKey } from '@tessera/config';
import { TesseraError } from '@tessera/errors';
import { type CallContext, CallKey } from '@tessera/grpc-runtime';

/**
 * Who is calling, as the access interceptor established it from the call's credentials.
 * Every call that reaches a handler has one.
 */
export type Caller =
  /** No credentials; only open RPCs get this far with it. */
  | { readonly kind: 'anonymous' }
  /** A key of the realm, allowed the RPC. */
  | { readonly kind: 'api-key'; readonly key: ApiKey }
  /**
   * A bearer token presented to an RPC that accepts one, not yet verified: the handler
   * verifies it against the tenant the request resolves to.
   */
  | { readonly kind: 'bearer'; readonly token: string };

/** The call-context slot the access interceptor fills; read it with {@link callerOf}. */
export const CALLER = new CallKey<Caller>('caller');

/**
 * The caller of the call. Throws INTERNAL when the access interceptor did not run: a handler
 * served without it is a wiring bug, never a reason to serve the call.
 */
export function callerOf(ctx: CallContext): Caller {
  const caller = ctx.values.get(CALLER);
  if (caller === undefined) {
    throw new TesseraError('INTERNAL', `no caller was established for ${ctx.method}`);
  }
  return caller;
}

/** The caller's API key, when it called with one. */
export function apiKeyOf(caller: Caller): ApiKey | undefined {
  return caller.kind === 'api-key' ? caller.key : undefined;
}
