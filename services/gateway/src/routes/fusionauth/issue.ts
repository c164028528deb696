import { status } from '@grpc/grpc-js';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../../gateway-context.js';
import { presentParameter } from '../../http/credentials.js';
import { rejectWith } from './backend-failures.js';
import {
  EMPTY_FAILURES,
  ERRORS_RESPONSE,
  FUSIONAUTH_ROUTE,
  JWT_401,
  JWT_SECURITY,
  TAGS,
  TENANT_HEADERS,
  uuidParameter,
} from './common-schemas.js';
import { jwtOf, requireJwt } from './request-auth.js';
import { cookieOf, requiredParameter } from './request-input.js';
import { tenantOf } from './tenant-scope.js';

interface IssueQuery {
  applicationId?: string;
  refreshToken?: string;
}

const ISSUED = {
  type: 'object',
  properties: {
    token: { type: 'string', description: 'The encoded access token.' },
    refreshToken: {
      type: 'string',
      description:
        'The refresh token: only when a valid refresh token was presented and the target application has refresh tokens enabled with the same expiration policy.',
    },
  },
} as const;

const ISSUE_ERRORS = {
  // An application the tenant does not have is bad input, not a missing resource: the
  // document gives this endpoint no 404.
  statuses: { [status.NOT_FOUND]: 400 },
  codes: {
    APPLICATION_NOT_FOUND: { field: 'applicationId', code: '[invalid]applicationId' },
    // The refresh token's session already has as many forks as its tenant allows.
    SESSION_FORK_LIMIT: { field: 'refreshToken', code: '[forkLimit]refreshToken' },
  },
  // `source_id`: the session forked for the new refresh token is the presented refresh token's.
  fields: {
    application_id: 'applicationId',
    refresh_token: 'refreshToken',
    source_id: 'refreshToken',
  },
};

// Built once: the merged error table is the same for every request.
const rejectBackendFailure = rejectWith(ISSUE_ERRORS);

/** `GET /api/jwt/issue`: an access token for another application, from a valid one (SSO). */
export function registerIssueRoute(app: FastifyInstance, ctx: GatewayContext): void {
  app.get<{ Querystring: IssueQuery }>(
    '/api/jwt/issue',
    {
      config: FUSIONAUTH_ROUTE,
      preValidation: requireJwt,
      schema: {
        tags: TAGS,
        operationId: 'issueJWT',
        summary: 'Issue a JWT',
        description:
          'Issues a new access token (JWT) for the application `applicationId` from an existing access token, which authenticates the request (Authorization: Bearer, or the access_token cookie). The new token keeps the expiration of the presented one.',
        security: JWT_SECURITY,
        headers: TENANT_HEADERS,
        querystring: {
          type: 'object',
          properties: {
            applicationId: uuidParameter(
              'The Id of the application for which authorization is being requested (required).',
            ),
            refreshToken: {
              type: 'string',
              description:
                'An existing refresh token, to get a refresh token for the target application too. The refresh_token cookie, when present, takes precedence.',
            },
          },
        },
        response: {
          200: {
            ...ISSUED,
            description: 'The access token (and refresh token) for the application.',
          },
          202: {
            ...ISSUED,
            description:
              'The user is authenticated but not registered for the application: the access token carries no application claims.',
          },
          400: ERRORS_RESPONSE,
          401: JWT_401,
          ...EMPTY_FAILURES,
        },
      },
    },
    async (request, reply) => {
      const token = jwtOf(request);
      const applicationId = requiredParameter(request.query.applicationId, 'applicationId');
      const refreshToken =
        cookieOf(request, 'refresh_token') ?? presentParameter(request.query.refreshToken) ?? '';
      const issued = await ctx.issuer
        .issueForApplication(
          {
            tenantId: tenantOf(request, ctx, { applicationId }) ?? '',
            token,
            applicationId,
            refreshToken,
          },
          { metadata: ctx.serviceMetadata(request.id) },
        )
        .catch(rejectBackendFailure);
      return reply.code(issued.registered ? 200 : 202).send({
        token: issued.token,
        ...(issued.refreshToken ? { refreshToken: issued.refreshToken } : {}),
      });
    },
  );
}
