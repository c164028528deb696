import type { Metadata } from '@grpc/grpc-js';
import { findPresentedApiKey } from '@tessera/api-keys';
import type { Realm } from '@tessera/config';
import { TesseraError } from '@tessera/errors';

/**
 * Checks the credentials of a multiplexed stream when it opens: an API key of the realm,
 * nothing else (a bearer token is per user, a stream is per service). This only decides who
 * may hold a stream open; each carried call is still authorized by the access interceptor
 * against its method's requirement and tenant, with the stream's key or the key the call
 * itself carries.
 */
export function streamAuthenticator(realm: () => Realm): (metadata: Metadata) => void {
  return (metadata) => {
    if (findPresentedApiKey(realm(), metadata) === undefined) {
      throw new TesseraError(
        'UNAUTHENTICATED',
        'a stream needs an API key of the realm in `authorization`',
      );
    }
  };
}
