import type { Metadata } from '@grpc/grpc-js';
import type { sessionV1 } from '@tessera/contracts';
import { type ErrorCode, TesseraError } from '@tessera/errors';
import { readErrorDetails, type UnaryMethod, unaryCall } from '@tessera/grpc-runtime';

/** Reasons of the session service that mean something to the issuer's caller too. */
const CALLER_FACING: ReadonlySet<ErrorCode> = new Set([
  // Bounds on what the caller passes through (presenter, device, scopes, data).
  'INVALID_ARGUMENT',
  'LIMIT_EXCEEDED',
  'REFRESH_TOKEN_INVALID',
  'REFRESH_TOKEN_NOT_FOUND',
  'SESSION_FORK_LIMIT',
  'USER_NOT_FOUND',
  'ALREADY_EXISTS',
  'APPLICATION_NOT_FOUND',
  'TENANT_NOT_FOUND',
]);

/**
 * The session service as the issuer uses it: typed calls with a deadline bounded by the
 * served call's own, the issuer's service credentials, and the session's failures turned
 * into the issuer's. Reasons that concern the caller (an invalid refresh token) pass through;
 * anything else (the issuer's own key refused, an internal error) is not the caller's
 * business and becomes an internal error, while UNAVAILABLE and DEADLINE_EXCEEDED keep their
 * meaning so callers may retry.
 */
export class SessionGateway {
  readonly #client: sessionV1.SessionServiceClient;
  readonly #metadata: () => Metadata;
  readonly #deadlineMs: number;

  constructor(options: {
    client: sessionV1.SessionServiceClient;
    metadata: () => Metadata;
    deadlineMs: number;
  }) {
    this.#client = options.client;
    this.#metadata = options.metadata;
    this.#deadlineMs = options.deadlineMs;
  }

  /** The underlying client (for streams). */
  get client(): sessionV1.SessionServiceClient {
    return this.#client;
  }

  /** Service credentials for a new call. */
  metadata(): Metadata {
    return this.#metadata();
  }

  async #call<Req, Res>(
    method: UnaryMethod<Req, Res>,
    request: Req,
    parentDeadline: number | undefined,
  ): Promise<Res> {
    try {
      return await unaryCall(method, request, {
        deadlineMs: this.#deadlineMs,
        parentDeadline,
        metadata: this.#metadata(),
      });
    } catch (error) {
      const details = readErrorDetails(error);
      if (details?.reason !== undefined && CALLER_FACING.has(details.reason)) {
        throw new TesseraError(details.reason, details.message, {
          ...(details.field ? { field: details.field } : {}),
          metadata: details.metadata,
        });
      }
      throw error;
    }
  }

  create(request: sessionV1.CreateRequest, deadline?: number): Promise<sessionV1.CreateResponse> {
    return this.#call(this.#client.create.bind(this.#client), request, deadline);
  }

  rotate(request: sessionV1.RotateRequest, deadline?: number): Promise<sessionV1.RotateResponse> {
    return this.#call(this.#client.rotate.bind(this.#client), request, deadline);
  }

  get(request: sessionV1.GetRequest, deadline?: number): Promise<sessionV1.GetResponse> {
    return this.#call(this.#client.get.bind(this.#client), request, deadline);
  }

  revoke(request: sessionV1.RevokeRequest, deadline?: number): Promise<sessionV1.RevokeResponse> {
    return this.#call(this.#client.revoke.bind(this.#client), request, deadline);
  }

  getUser(
    request: sessionV1.GetUserRequest,
    deadline?: number,
  ): Promise<sessionV1.GetUserResponse> {
    return this.#call(this.#client.getUser.bind(this.#client), request, deadline);
  }

  upsertUser(
    request: sessionV1.UpsertUserRequest,
    deadline?: number,
  ): Promise<sessionV1.UpsertUserResponse> {
    return this.#call(this.#client.upsertUser.bind(this.#client), request, deadline);
  }

  upsertRegistration(
    request: sessionV1.UpsertRegistrationRequest,
    deadline?: number,
  ): Promise<sessionV1.UpsertRegistrationResponse> {
    return this.#call(this.#client.upsertRegistration.bind(this.#client), request, deadline);
  }

  /** The user, or undefined when the directory has none with this id. */
  async findUser(
    tenantId: string,
    userId: string,
    deadline?: number,
  ): Promise<sessionV1.User | undefined> {
    try {
      return (await this.getUser({ tenantId, selector: { $case: 'id', value: userId } }, deadline))
        .user;
    } catch (error) {
      if (error instanceof TesseraError && error.code === 'USER_NOT_FOUND') return undefined;
      throw error;
    }
  }
}
