import { TesseraError } from '@tessera/errors';
import type { Interceptor } from '@tessera/grpc-runtime';

/** RPCs that only publish public keys: they do not depend on revocations. */
const KEY_PUBLICATION = new Set(['GetPublicKeys', 'GetJwks', 'WatchKeys']);

/**
 * Refuses every call that may rest on revocation state (validation, anything that verifies a
 * presented token or mints from one) with UNAVAILABLE until the first revocation snapshot is
 * applied: before it, a revoked token would pass. Key publication is served at once.
 */
export function revocationReadinessInterceptor(isReady: () => boolean): Interceptor {
  return (request, ctx, next) => {
    const rpc = ctx.method.slice(ctx.method.lastIndexOf('/') + 1);
    if (isReady() || KEY_PUBLICATION.has(rpc)) return next(request, ctx);
    throw new TesseraError(
      'UNAVAILABLE',
      'the issuer has not loaded the revocations yet; retry shortly',
    );
  };
}
