import { ISSUER_REQUIREMENTS } from '@tessera/access';
import { issuerV1 } from '@tessera/contracts';
import { TesseraError } from '@tessera/errors';
import type { Interceptor } from '@tessera/grpc-runtime';

/**
 * The open RPCs of the access table: they publish public keys and do not depend on
 * revocations. Derived from the table, so a newly opened RPC cannot drift from this list.
 */
const KEY_PUBLICATION: ReadonlySet<string> = new Set(
  Object.entries(ISSUER_REQUIREMENTS)
    .filter(([, requirement]) => requirement.kind === 'open')
    .map(([name]) => issuerV1.IssuerServiceService[name as keyof typeof ISSUER_REQUIREMENTS].path),
);

/**
 * Refuses every call that may rest on revocation state (validation, anything that verifies a
 * presented token or mints from one) with UNAVAILABLE until the first revocation snapshot is
 * applied: before it, a revoked token would pass. Key publication is served at once.
 */
export function revocationReadinessInterceptor(isReady: () => boolean): Interceptor {
  return (request, ctx, next) => {
    if (isReady() || KEY_PUBLICATION.has(ctx.method)) return next(request, ctx);
    throw new TesseraError(
      'UNAVAILABLE',
      'the issuer has not loaded the revocations yet; retry shortly',
    );
  };
}
