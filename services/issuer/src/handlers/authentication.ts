import { findPresentedApiKey } from '@tessera/api-keys';
import { TesseraError } from '@tessera/errors';
import {
  type CallContext,
  CallKey,
  type Interceptor,
  readCredentials,
} from '@tessera/grpc-runtime';
import type { Caller } from '../domain/caller.js';
import { authorizeApiKey, ISSUER_REQUIREMENTS, type IssuerRpc } from '../domain/permissions.js';
import type { IssuerState } from '../issuer-state.js';

/** The authenticated API key of the call, set by the authentication interceptor. */
export const API_KEY_CALLER = new CallKey<Caller & { kind: 'api-key' }>('api-key caller');

/** A bearer token presented to an RPC that accepts one; verified by the handler. */
export const PRESENTED_BEARER = new CallKey<string>('presented bearer token');

/** RPCs that accept `authorization: Bearer <jwt>` instead of an API key (Neostore). */
const BEARER_RPCS: ReadonlySet<IssuerRpc> = new Set(['Generate']);

function rpcOf(ctx: CallContext): IssuerRpc | undefined {
  const name = ctx.method.slice(ctx.method.lastIndexOf('/') + 1);
  return Object.hasOwn(ISSUER_REQUIREMENTS, name) ? (name as IssuerRpc) : undefined;
}

/**
 * Authenticates every call before its handler runs: an API key (looked up by its SHA-256,
 * the only form the realm keeps) that is allowed the RPC, or, where the RPC accepts one, a
 * bearer token the handler verifies against the request's tenant. Missing or unknown
 * credentials are UNAUTHENTICATED; a known key without the permission is PERMISSION_DENIED.
 */
export function authenticationInterceptor(state: IssuerState): Interceptor {
  return (request, ctx, next) => {
    const rpc = rpcOf(ctx);
    if (rpc === undefined || ISSUER_REQUIREMENTS[rpc].kind === 'open') return next(request, ctx);
    const key = findPresentedApiKey(state.current.realm, ctx.metadata);
    if (key !== undefined) {
      authorizeApiKey(key, rpc);
      ctx.values.set(API_KEY_CALLER, { kind: 'api-key', key });
      return next(request, ctx);
    }
    const { bearer } = readCredentials(ctx.metadata);
    if (bearer !== undefined && BEARER_RPCS.has(rpc)) {
      ctx.values.set(PRESENTED_BEARER, bearer);
      return next(request, ctx);
    }
    throw new TesseraError(
      'UNAUTHENTICATED',
      'credentials are required: send an API key in `authorization`',
    );
  };
}
