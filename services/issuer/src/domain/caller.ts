import type { ApiKey } from '@tessera/config';

/** Who is calling, as established from the call's credentials. */
export type Caller =
  | { readonly kind: 'api-key'; readonly key: ApiKey }
  | {
      readonly kind: 'bearer';
      /** The tenant whose keys validated the bearer token. */
      readonly tenantId: string;
      readonly claims: Readonly<Record<string, unknown>>;
    };
