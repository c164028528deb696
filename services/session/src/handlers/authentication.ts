import { findPresentedApiKey, keyAllows } from '@tessera/api-keys';
import type { ApiKey, RealmSource } from '@tessera/config';
import { TesseraError } from '@tessera/errors';
import { CallKey, type Interceptor } from '@tessera/grpc-runtime';

/**
 * The FusionAuth endpoint each RPC serves, so a key limited with FusionAuth's vocabulary
 * (`/api/jwt/refresh: [GET, DELETE]`) works whether the call comes through the gateway or not.
 */
const HTTP_EQUIVALENTS: Readonly<Record<string, { path: string; method: string }>> = {
  Get: { path: '/api/jwt/refresh', method: 'GET' },
  ListByUser: { path: '/api/jwt/refresh', method: 'GET' },
  Revoke: { path: '/api/jwt/refresh', method: 'DELETE' },
};

/** The API key that authenticated the call (its tenant lock binds every request). */
export const CALLER_KEY = new CallKey<ApiKey>('session caller key');

/**
 * Every session RPC needs an API key of the realm that may call it (its gRPC method with
 * `CALL`, or a key without endpoint restrictions). The session service checks this itself:
 * callers that reach it past the issuer get no free pass.
 */
export function sessionAuthentication(realm: RealmSource): Interceptor {
  return (request, ctx, next) => {
    const key = findPresentedApiKey(realm.current, ctx.metadata);
    if (key === undefined) {
      throw new TesseraError(
        'UNAUTHENTICATED',
        'credentials are required: send an API key in `authorization`',
      );
    }
    const rpc = ctx.method.slice(ctx.method.lastIndexOf('/') + 1);
    if (!keyAllows(key, ctx.method.slice(1), HTTP_EQUIVALENTS[rpc])) {
      throw new TesseraError(
        'PERMISSION_DENIED',
        `the API key may not call ${ctx.method.slice(1)}`,
      );
    }
    ctx.values.set(CALLER_KEY, key);
    return next(request, ctx);
  };
}
