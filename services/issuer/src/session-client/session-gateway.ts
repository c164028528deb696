import type { sessionV1 } from '@tessera/contracts';
import { type ErrorCode, TesseraError } from '@tessera/errors';
import { type Caller, readErrorDetails } from '@tessera/grpc-runtime';

/** The session service's unary RPCs, over whichever transport the issuer was given. */
export type SessionCaller = Caller<typeof sessionV1.SessionServiceService>;

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
  readonly #session: SessionCaller;

  /** @param session calls with the issuer's credentials and the per-call budget as defaults. */
  constructor(session: SessionCaller) {
    this.#session = session;
  }

  async #call<Req, Res>(
    method: (request: Req, options: { parentDeadline: number | undefined }) => Promise<Res>,
    request: Req,
    parentDeadline: number | undefined,
  ): Promise<Res> {
    try {
      return await method(request, { parentDeadline });
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
    return this.#call(this.#session.create, request, deadline);
  }

  rotate(request: sessionV1.RotateRequest, deadline?: number): Promise<sessionV1.RotateResponse> {
    return this.#call(this.#session.rotate, request, deadline);
  }

  get(request: sessionV1.GetRequest, deadline?: number): Promise<sessionV1.GetResponse> {
    return this.#call(this.#session.get, request, deadline);
  }

  revoke(request: sessionV1.RevokeRequest, deadline?: number): Promise<sessionV1.RevokeResponse> {
    return this.#call(this.#session.revoke, request, deadline);
  }

  getUser(
    request: sessionV1.GetUserRequest,
    deadline?: number,
  ): Promise<sessionV1.GetUserResponse> {
    return this.#call(this.#session.getUser, request, deadline);
  }

  upsertUser(
    request: sessionV1.UpsertUserRequest,
    deadline?: number,
  ): Promise<sessionV1.UpsertUserResponse> {
    return this.#call(this.#session.upsertUser, request, deadline);
  }

  upsertRegistration(
    request: sessionV1.UpsertRegistrationRequest,
    deadline?: number,
  ): Promise<sessionV1.UpsertRegistrationResponse> {
    return this.#call(this.#session.upsertRegistration, request, deadline);
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
