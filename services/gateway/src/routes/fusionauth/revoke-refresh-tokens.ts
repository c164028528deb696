import type { sessionV1 } from '@tessera/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallMetadata, GatewayContext } from '../../gateway-context.js';
import { ApiError } from '../../http/api-errors.js';
import { presentParameter } from '../../http/credentials.js';
import { rejectWith } from './backend-failures.js';
import {
  API_KEY_401,
  API_KEY_SECURITY,
  EMPTY_FAILURES,
  ERRORS_RESPONSE,
  emptyResponse,
  FUSIONAUTH_ROUTE,
  JWT_SECURITY,
  nullable,
  TAGS,
  TENANT_HEADERS,
  uuidParameter,
} from './common-schemas.js';
import {
  credentialsOf,
  refuseUnknownApiKey,
  requireApiKeyOrJwt,
  unauthorized,
} from './request-auth.js';
import { optionalBody } from './request-input.js';
import { requiredTenantOf, TENANT_HEADER } from './tenant-scope.js';

/** What to revoke: the query parameters, or the same names in a JSON or form body. */
interface RevokeSelection {
  applicationId?: string | null;
  token?: string | null;
  userId?: string | null;
}

type Selector = NonNullable<sessionV1.RevokeRequest['selector']>;

const REVOKE_ERRORS = {
  fields: {
    id: 'tokenId',
    token: 'token',
    user_id: 'userId',
    application_id: 'applicationId',
    'user_application.user_id': 'userId',
    'user_application.application_id': 'applicationId',
  },
};

const SELECTION_PROPERTIES = {
  applicationId: uuidParameter(
    'Revoke the refresh tokens of this application (of one user, with userId).',
  ),
  token: {
    type: 'string',
    description:
      'Revoke this refresh token (URL-encode it, or send it in an application/x-www-form-urlencoded body to keep it out of access logs).',
  },
  userId: uuidParameter(
    'Revoke the refresh tokens of this user (for one application, with applicationId).',
  ),
} as const;

const RESPONSES = {
  200: emptyResponse('The refresh tokens were revoked. The response is empty.'),
  400: { ...ERRORS_RESPONSE, description: 'Nothing to revoke was named, or a tenant is required.' },
  401: API_KEY_401,
  404: emptyResponse(
    "The refresh token named doesn't exist (or is not the JWT owner's). The response is empty.",
  ),
  ...EMPTY_FAILURES,
} as const;

/**
 * FusionAuth's precedence: a token id, then a token value, then user + application, user,
 * application. Values from the query win over the body's.
 */
function selectorOf(
  tokenId: string | undefined,
  query: RevokeSelection,
  body: RevokeSelection,
): Selector | undefined {
  const pick = (name: keyof RevokeSelection) =>
    presentParameter(query[name]) ?? presentParameter(body[name]);
  const token = pick('token');
  const userId = pick('userId');
  const applicationId = pick('applicationId');
  if (tokenId !== undefined) return { $case: 'id', value: tokenId };
  if (token !== undefined) return { $case: 'token', value: token };
  if (userId !== undefined && applicationId !== undefined) {
    return { $case: 'userApplication', value: { userId, applicationId } };
  }
  if (userId !== undefined) return { $case: 'userId', value: userId };
  if (applicationId !== undefined) return { $case: 'applicationId', value: applicationId };
  return undefined;
}

/** A Revoke call ready to make: the request and the credentials it goes with. */
interface Revocation {
  readonly request: sessionV1.RevokeRequest;
  readonly metadata: CallMetadata;
}

/** With an API key: the caller's key is forwarded; the session service checks it. */
function revocationByApiKey(
  request: FastifyRequest,
  ctx: GatewayContext,
  apiKey: string,
  selector: Selector,
): Revocation {
  const applicationId =
    selector.$case === 'applicationId'
      ? selector.value
      : selector.$case === 'userApplication'
        ? selector.value.applicationId
        : undefined;
  return {
    request: {
      tenantId: requiredTenantOf(request, ctx, { apiKey, applicationId }),
      selector,
      ownerUserId: '',
    },
    metadata: ctx.callerMetadata(apiKey, request.id),
  };
}

/**
 * With a JWT: by id or token only, and the session service revokes only a token of the
 * JWT's subject. The JWT is the caller's only credential, so the gateway's key calls.
 */
async function revocationByJwt(
  request: FastifyRequest,
  ctx: GatewayContext,
  jwt: string,
  selector: Selector,
): Promise<Revocation> {
  if (selector.$case !== 'id' && selector.$case !== 'token') {
    throw unauthorized('revoking by user or application takes an API key');
  }
  const tenantId = presentParameter(request.headers[TENANT_HEADER]);
  const verified = await ctx.validator.validate(jwt, tenantId ? { tenantId } : {});
  const subject = verified.valid ? verified.claims.sub : undefined;
  if (!verified.valid || typeof subject !== 'string' || verified.tenantId === undefined) {
    throw unauthorized('the JWT is not valid');
  }
  // Vended, generated and application tokens carry amr ["none"]: their subject is whatever
  // their minter wrote, so they never speak for that user (IssueForApplication refuses them too).
  const amr = verified.claims.amr;
  if (amr === 'none' || (Array.isArray(amr) && amr.includes('none'))) {
    throw unauthorized('the JWT was not issued to an authenticated user');
  }
  return {
    request: { tenantId: verified.tenantId, selector, ownerUserId: subject },
    metadata: ctx.serviceMetadata(request.id),
  };
}

// Built once: the merged error table is the same for every request.
const rejectBackendFailure = rejectWith(REVOKE_ERRORS);

/**
 * `DELETE /api/jwt/refresh[/{tokenId}]`: revoke by id, token, user, application or user +
 * application, with an API key, or with a JWT of the token's owner (by id or token).
 */
export function registerRevokeRefreshTokenRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const revoke = async (
    request: FastifyRequest<{ Querystring: RevokeSelection; Body: RevokeSelection }>,
    reply: FastifyReply,
    tokenId: string | undefined,
  ) => {
    const selector = selectorOf(tokenId, request.query, request.body);
    if (selector === undefined) {
      throw new ApiError({
        status: 400,
        code: '[invalid]',
        message: 'name what to revoke: a tokenId, a token, a userId and/or an applicationId',
      });
    }
    const { apiKey, jwt } = credentialsOf(request);
    const revocation =
      apiKey !== undefined
        ? revocationByApiKey(request, ctx, apiKey, selector)
        : await revocationByJwt(request, ctx, jwt ?? '', selector);
    const { revokedCount } = await ctx.session
      .revoke(revocation.request, { metadata: revocation.metadata })
      .catch(rejectBackendFailure);
    // A single token that matched nothing is FusionAuth's 404; bulk revocations of nothing are fine.
    if (revokedCount === 0 && (selector.$case === 'id' || selector.$case === 'token')) {
      throw new ApiError({ status: 404, message: 'no such refresh token', empty: true });
    }
    return reply.code(200).send();
  };

  const common = {
    config: FUSIONAUTH_ROUTE,
    onRequest: [requireApiKeyOrJwt, refuseUnknownApiKey(ctx)],
    preValidation: optionalBody,
  };
  const selectionBody = {
    type: 'object',
    description:
      'The same selectors as the query, as JSON or as an application/x-www-form-urlencoded body.',
    properties: {
      applicationId: nullable({
        type: 'string',
        description: SELECTION_PROPERTIES.applicationId.description,
      }),
      token: nullable({ type: 'string', description: SELECTION_PROPERTIES.token.description }),
      userId: nullable({ type: 'string', description: SELECTION_PROPERTIES.userId.description }),
    },
  } as const;

  app.delete<{ Querystring: RevokeSelection; Body: RevokeSelection }>(
    '/api/jwt/refresh',
    {
      ...common,
      schema: {
        tags: TAGS,
        operationId: 'revokeRefreshTokens',
        summary: 'Revoke Refresh Tokens',
        description:
          'Revokes the refresh tokens of an application, of a user, or of a user for an application (API key), or one refresh token by value (API key, or a JWT of the token\u2019s owner). Revocation also reaches the access tokens already issued for the revoked sessions.',
        security: [...API_KEY_SECURITY, ...JWT_SECURITY],
        headers: TENANT_HEADERS,
        querystring: { type: 'object', properties: SELECTION_PROPERTIES },
        body: selectionBody,
        response: RESPONSES,
      },
    },
    (request, reply) => revoke(request, reply, undefined),
  );

  app.delete<{ Params: { tokenId: string }; Querystring: RevokeSelection; Body: RevokeSelection }>(
    '/api/jwt/refresh/:tokenId',
    {
      ...common,
      schema: {
        tags: TAGS,
        operationId: 'revokeRefreshTokenById',
        summary: 'Revoke a single Refresh Token by Id',
        description:
          'Revokes one refresh token by its Id (API key, or a JWT of the token\u2019s owner).',
        security: [...API_KEY_SECURITY, ...JWT_SECURITY],
        headers: TENANT_HEADERS,
        params: {
          type: 'object',
          required: ['tokenId'],
          properties: {
            tokenId: {
              type: 'string',
              format: 'uuid',
              description: 'The Id of the refresh token to revoke.',
            },
          },
        },
        response: RESPONSES,
      },
    },
    (request, reply) => revoke(request, reply, request.params.tokenId),
  );
}
