import type { ServiceDefinition } from '@grpc/grpc-js';

/** A FusionAuth endpoint an RPC serves, so FusionAuth-style key permissions apply to it. */
export interface HttpEquivalent {
  readonly path: string;
  readonly method: string;
}

/**
 * What a caller needs to call an RPC. Key permissions use one vocabulary, FusionAuth's
 * endpoint → methods map: an RPC may name the documented HTTP endpoint it serves, so a key
 * limited to `/api/jwt/vend: [POST]` may call Vend whether it arrives over REST or gRPC. A
 * key may always name the gRPC method itself with `CALL`.
 */
export type Requirement =
  /** Anyone, with or without credentials (published keys). */
  | { readonly kind: 'open' }
  /**
   * An API key allowed the RPC. `allTenants` refuses keys locked to a tenant: the RPC's
   * answer spans every tenant and has no tenant to check against.
   */
  | {
      readonly kind: 'key';
      readonly http?: HttpEquivalent;
      readonly allTenants?: boolean;
    }
  /**
   * An API key holding `scope`; with `bearer`, a bearer token instead, which the handler
   * verifies against the tenant the request names.
   */
  | { readonly kind: 'scope'; readonly scope: string; readonly bearer?: boolean }
  /** An API key bound to an application (webMethods). */
  | { readonly kind: 'application-binding' };

/**
 * A service's requirement table: one entry per method of its generated definition. Written
 * `{ ... } as const satisfies RequirementTable<typeof XServiceService>`, so a new RPC in the
 * proto does not compile until it is listed, and a listed name that is not an RPC does not
 * either.
 */
export type RequirementTable<D extends ServiceDefinition> = {
  readonly [M in keyof D]: Requirement;
};
