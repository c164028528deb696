import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../../gateway-context.js';
import { ApiError } from '../../http/api-errors.js';
import { presentParameter } from '../../http/credentials.js';
import { rejectWith } from './backend-failures.js';
import {
  EMPTY_FAILURES,
  ERRORS_RESPONSE,
  FUSIONAUTH_ROUTE,
  nullable,
  TAGS,
  TENANT_HEADERS,
} from './common-schemas.js';
import { setLoginCookies } from './login-cookies.js';
import { cookieOf, optionalBody, presenterOf } from './request-input.js';
import { tenantOf } from './tenant-scope.js';

interface RefreshBody {
  refreshToken?: string | null;
  token?: string | null;
  timeToLiveInSeconds?: number | null;
}

const INVALID_REFRESH_TOKEN = { field: 'refreshToken', code: '[invalid]refreshToken' };

const REFRESH_ERRORS = {
  // Unknown, expired, revoked and reused tokens are one documented failure.
  codes: { REFRESH_TOKEN_INVALID: INVALID_REFRESH_TOKEN },
  fields: { refresh_token: 'refreshToken', time_to_live_seconds: 'timeToLiveInSeconds' },
};

// Built once: the merged error table is the same for every request.
const rejectBackendFailure = rejectWith(REFRESH_ERRORS);

/**
 * `POST /api/jwt/refresh`: a new access token for a refresh token (cookie first, then body),
 * written back as FusionAuth's login cookies too. Anonymous.
 */
export function registerRefreshRoute(app: FastifyInstance, ctx: GatewayContext): void {
  app.post<{ Body: RefreshBody }>(
    '/api/jwt/refresh',
    {
      config: FUSIONAUTH_ROUTE,
      preValidation: optionalBody,
      schema: {
        tags: TAGS,
        operationId: 'exchangeRefreshTokenForJWT',
        summary: 'Refresh a JWT',
        description:
          'Exchanges a refresh token for a new access token. The refresh token comes from the refresh_token cookie or the body; the cookie takes precedence. The answer is also written as the access_token (session) and refresh_token (persistent) HttpOnly cookies. No authentication required.',
        headers: TENANT_HEADERS,
        body: {
          type: 'object',
          properties: {
            refreshToken: nullable({
              type: 'string',
              description:
                'The refresh token. Required here unless the refresh_token cookie carries it.',
            }),
            token: nullable({
              type: 'string',
              description:
                'The previously issued access token (also accepted as the access_token cookie).',
            }),
            timeToLiveInSeconds: nullable({
              type: 'integer',
              minimum: 0,
              maximum: 2_147_483_647,
              description:
                'Shortens the new access token\u2019s lifetime; it never lengthens the configured one.',
            }),
          },
        },
        response: {
          200: {
            description: 'The new access token and the refresh token to use next.',
            type: 'object',
            properties: {
              token: { type: 'string', description: 'The encoded access token.' },
              refreshToken: {
                type: 'string',
                description:
                  'The refresh token: the same one under Reusable, a new one under OneTimeUse.',
              },
              refreshTokenId: {
                type: 'string',
                description: 'The persistent Id of the refresh token, stable across rotations.',
              },
            },
          },
          400: {
            ...ERRORS_RESPONSE,
            description: 'The refresh token is missing, expired, unknown or revoked.',
          },
          ...EMPTY_FAILURES,
        },
      },
    },
    async (request, reply) => {
      const refreshToken =
        cookieOf(request, 'refresh_token') ?? presentParameter(request.body.refreshToken);
      if (refreshToken === undefined) {
        throw new ApiError({
          status: 400,
          field: 'refreshToken',
          code: '[blank]refreshToken',
          message: 'refreshToken is required',
        });
      }
      const refreshed = await ctx.issuer
        .refresh(
          {
            tenantId: tenantOf(request, ctx) ?? '',
            refreshToken,
            timeToLiveSeconds: request.body.timeToLiveInSeconds ?? 0,
            presenter: presenterOf(request),
            // The idempotency key: a retry with the same X-Request-Id rotates once.
            requestId: request.id,
          },
          { metadata: ctx.serviceMetadata(request.id) },
        )
        .catch(rejectBackendFailure);
      setLoginCookies(request, reply, refreshed, ctx);
      return reply.send({
        token: refreshed.token,
        refreshToken: refreshed.refreshToken,
        refreshTokenId: refreshed.refreshTokenId,
      });
    },
  );
}
