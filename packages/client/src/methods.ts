import { issuerV1, sessionV1 } from '@tessera/contracts';

/** A generated grpc-js method definition (ts-proto `outputServices=grpc-js`). */
export interface MethodDefinition<Req, Res> {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  requestSerialize(value: Req): Buffer;
  responseDeserialize(value: Buffer): Res;
}

/** The request message type of a method definition. */
export type RequestOf<M> = M extends MethodDefinition<infer Req, unknown> ? Req : never;
/** The response message type of a method definition. */
export type ResponseOf<M> = M extends MethodDefinition<never, infer Res> ? Res : never;

/** How the client treats one RPC: how to build its request, whether a failure may be retried. */
export interface MethodPolicy<Req> {
  /** The generated message of the request; its `fromPartial` fills every field left out. */
  readonly request: { fromPartial(object: never): Req };
  /**
   * True when running the RPC twice has the effect of running it once, so a call that
   * failed with UNAVAILABLE (it may or may not have reached the server) is retried.
   */
  readonly idempotent: boolean;
}

/** One policy per RPC of a service: a new RPC in proto/ does not compile until it is listed. */
export type MethodPolicies<D> = { readonly [K in keyof D]: MethodPolicy<RequestOf<D[K]>> };

/**
 * The issuer. Retried: the reads (`validate`, `getPublicKeys`, `getJwks`). Never retried:
 * everything that mints (a retry of `vend`, `generate`, `issueApplicationToken` mints a second
 * token), starts or forks a session (`startSession`, `issueForApplication`), rotates
 * (`refresh`: a second presentation of a one-time-use refresh token outside its grace period
 * is reuse, and revokes the whole session) or may create a user (`reconcile`).
 */
export const ISSUER_METHODS: MethodPolicies<typeof issuerV1.IssuerServiceService> = {
  vend: { request: issuerV1.VendRequest, idempotent: false },
  generate: { request: issuerV1.GenerateRequest, idempotent: false },
  issueApplicationToken: { request: issuerV1.IssueApplicationTokenRequest, idempotent: false },
  issueForApplication: { request: issuerV1.IssueForApplicationRequest, idempotent: false },
  startSession: { request: issuerV1.StartSessionRequest, idempotent: false },
  refresh: { request: issuerV1.RefreshRequest, idempotent: false },
  reconcile: { request: issuerV1.ReconcileRequest, idempotent: false },
  validate: { request: issuerV1.ValidateRequest, idempotent: true },
  getPublicKeys: { request: issuerV1.GetPublicKeysRequest, idempotent: true },
  getJwks: { request: issuerV1.GetJwksRequest, idempotent: true },
  watchKeys: { request: issuerV1.WatchKeysRequest, idempotent: true },
};

/**
 * The session service. Retried: the reads (`get`, `listByUser`, `getUser`) and the upserts of
 * the directory (`upsertUser`, `upsertRegistration`: the same request leaves the same record).
 * Never retried: `create` (a second session), `rotate` (reuse detection, as for `refresh`) and
 * `revoke` (each revoke by user publishes a revocation entry that counts against the user's and
 * the tenant's limits; retry it yourself when you know the first attempt did not land).
 */
export const SESSION_METHODS: MethodPolicies<typeof sessionV1.SessionServiceService> = {
  create: { request: sessionV1.CreateRequest, idempotent: false },
  rotate: { request: sessionV1.RotateRequest, idempotent: false },
  get: { request: sessionV1.GetRequest, idempotent: true },
  listByUser: { request: sessionV1.ListByUserRequest, idempotent: true },
  revoke: { request: sessionV1.RevokeRequest, idempotent: false },
  watchRevocations: { request: sessionV1.WatchRevocationsRequest, idempotent: true },
  upsertUser: { request: sessionV1.UpsertUserRequest, idempotent: true },
  getUser: { request: sessionV1.GetUserRequest, idempotent: true },
  upsertRegistration: { request: sessionV1.UpsertRegistrationRequest, idempotent: true },
};
