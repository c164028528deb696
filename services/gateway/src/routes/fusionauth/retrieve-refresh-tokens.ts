import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../../gateway-context.js';
import { rejectWith } from './backend-failures.js';
import {
  API_KEY_401,
  API_KEY_SECURITY,
  EMPTY_FAILURES,
  ERRORS_RESPONSE,
  emptyResponse,
  FUSIONAUTH_ROUTE,
  TAGS,
  TENANT_HEADERS,
  uuidParameter,
} from './common-schemas.js';
import { REFRESH_TOKEN_SCHEMA, refreshTokenJson } from './refresh-token-json.js';
import { apiKeyOf, requireApiKey } from './request-auth.js';
import { requiredParameter } from './request-input.js';
import { requiredTenantOf, tenantOf } from './tenant-scope.js';

const RETRIEVE_ERRORS = { fields: { id: 'tokenId', user_id: 'userId' } };

// Built once: the merged error table is the same for every request.
const rejectBackendFailure = rejectWith(RETRIEVE_ERRORS);

/**
 * `GET /api/jwt/refresh/{tokenId}` and `GET /api/jwt/refresh?userId=`: a live refresh token
 * by id, or a user's live refresh tokens (expired ones omitted). API key.
 */
export function registerRetrieveRefreshTokenRoutes(
  app: FastifyInstance,
  ctx: GatewayContext,
): void {
  app.get<{ Params: { tokenId: string } }>(
    '/api/jwt/refresh/:tokenId',
    {
      config: FUSIONAUTH_ROUTE,
      preValidation: requireApiKey,
      schema: {
        tags: TAGS,
        operationId: 'retrieveRefreshTokenById',
        summary: 'Retrieve a single Refresh Token',
        description: 'Retrieves a live refresh token by its Id.',
        security: API_KEY_SECURITY,
        headers: TENANT_HEADERS,
        params: {
          type: 'object',
          required: ['tokenId'],
          properties: {
            tokenId: { type: 'string', format: 'uuid', description: 'The Id of the token.' },
          },
        },
        response: {
          200: {
            description: 'The refresh token.',
            type: 'object',
            properties: { refreshToken: REFRESH_TOKEN_SCHEMA },
          },
          400: ERRORS_RESPONSE,
          401: API_KEY_401,
          404: emptyResponse(
            'The refresh token specified by the tokenId is missing, expired or revoked. The response is empty.',
          ),
          ...EMPTY_FAILURES,
        },
      },
    },
    async (request) => {
      const apiKey = apiKeyOf(request);
      const { record } = await ctx.session
        .get(
          // The id names the token on its own; the tenant, when known, only narrows the search.
          {
            id: request.params.tokenId,
            tenantId: tenantOf(request, ctx, { apiKey }) ?? '',
            token: '',
          },
          { metadata: ctx.callerMetadata(apiKey, request.id) },
        )
        .catch(rejectBackendFailure);
      if (record === undefined)
        throw new Error('the session service answered Get without a record');
      return { refreshToken: refreshTokenJson(record) };
    },
  );

  app.get<{ Querystring: { userId?: string } }>(
    '/api/jwt/refresh',
    {
      config: FUSIONAUTH_ROUTE,
      preValidation: requireApiKey,
      schema: {
        tags: TAGS,
        operationId: 'retrieveRefreshTokens',
        summary: 'Retrieve Refresh Tokens issued to a User',
        description: 'Retrieves the live refresh tokens of a user; expired tokens are omitted.',
        security: API_KEY_SECURITY,
        headers: TENANT_HEADERS,
        querystring: {
          type: 'object',
          properties: {
            userId: uuidParameter(
              'The Id of the user for whom to retrieve issued Refresh Tokens (required).',
            ),
          },
        },
        response: {
          200: {
            description: 'The refresh tokens of the user.',
            type: 'object',
            properties: { refreshTokens: { type: 'array', items: REFRESH_TOKEN_SCHEMA } },
          },
          400: ERRORS_RESPONSE,
          401: API_KEY_401,
          ...EMPTY_FAILURES,
        },
      },
    },
    async (request) => {
      const apiKey = apiKeyOf(request);
      const userId = requiredParameter(request.query.userId, 'userId');
      const { records } = await ctx.session
        .listByUser(
          { userId, applicationId: '', tenantId: requiredTenantOf(request, ctx, { apiKey }) },
          { metadata: ctx.callerMetadata(apiKey, request.id) },
        )
        .catch(rejectBackendFailure);
      return { refreshTokens: records.map(refreshTokenJson) };
    },
  );
}
