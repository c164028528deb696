import { status } from '@grpc/grpc-js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../../gateway-context.js';
import { ApiError } from '../../http/api-errors.js';
import { toApiError } from '../../http/backend-errors.js';
import { isRealmApiKey } from '../../http/realm-api-key.js';

interface GetJsonWebTokenRoute {
  Body: { claimsSet: Record<string, unknown> };
}

// gRPC metadata carries visible ASCII only; anything else cannot be an API key.
const API_KEY = /^[\x21-\x7e]{1,4096}$/;

const EXCEPTION_SCHEMA = {
  type: 'object',
  description: 'webMethods API Gateway error',
  properties: {
    Exception: {
      type: 'string',
      description: '"API Gateway encountered an error. Error Message: " and the reason',
    },
  },
} as const;

const exception = (description: string) => ({ ...EXCEPTION_SCHEMA, description });

/**
 * `POST /gateway/security/getJsonWebToken` (webMethods API Gateway): the application
 * identified by its API key gets a JWT with the caller's claims; `sub` is the application id.
 * The key comes in the header the realm names (`x-Gateway-APIKey` by default) and is
 * forwarded to the issuer, which identifies the application.
 */
export function registerGetJsonWebTokenRoute(app: FastifyInstance, ctx: GatewayContext): void {
  app.post<GetJsonWebTokenRoute>('/gateway/security/getJsonWebToken', {
    config: { api: 'webmethods' },
    schema: {
      tags: ['webMethods'],
      operationId: 'webMethodsGetJsonWebToken',
      summary: 'Retrieve a JWT with claims for the calling application',
      description:
        "The application is identified by its API key (header `x-Gateway-APIKey`, or the name the realm configures). The token's `sub` is the application id, `aud` the application id followed by the configured audience, `iss` the configured issuer; `sub`, `iss`, `aud`, `exp`, `nbf` and `iat` of the claims set are ignored.",
      security: [{ webMethodsApiKey: [] }],
      body: {
        type: 'object',
        description: 'The claims to add to the token',
        required: ['claimsSet'],
        properties: {
          claimsSet: {
            type: 'object',
            description:
              'Claim name → value, e.g. { "name": "username", "company": "organization" }',
            additionalProperties: true,
          },
        },
      },
      response: {
        200: {
          type: 'object',
          description: 'The token',
          required: ['jwt'],
          properties: { jwt: { type: 'string', description: 'A compact JWS' } },
        },
        400: exception(
          'The request body is not {"claimsSet": {...}}, nests too deeply, or the claims exceed a limit.',
        ),
        401: exception(
          'Unauthorized application request: no API key, or one that identifies no application.',
        ),
        413: exception('The request body is larger than the gateway accepts.'),
        415: exception('The request body is not JSON.'),
        500: exception('Unexpected server error.'),
        503: exception('A backend service is unavailable; retry later.'),
        504: exception('A backend service did not answer in time.'),
      },
    },
    // The application is identified before the body is read, as API Gateway does: no key, or
    // a key the realm does not know, is a 401 whatever the body holds.
    attachValidation: true,
    onRequest: async (request) => {
      const apiKey = apiKeyOf(ctx, request);
      if (apiKey === undefined || !isRealmApiKey(ctx.realm(), apiKey)) throw unauthorized(ctx);
    },
    handler: async (request) => {
      const apiKey = apiKeyOf(ctx, request);
      if (apiKey === undefined) throw unauthorized(ctx);
      if (request.validationError) {
        throw new ApiError({
          status: 400,
          message: 'The request body must be {"claimsSet": {...}}.',
        });
      }
      const { claimsSet } = request.body;
      try {
        const response = await ctx.issuer.issueApplicationToken(
          { claimsJson: JSON.stringify(claimsSet) },
          { metadata: ctx.callerMetadata(apiKey, request.id) },
        );
        return { jwt: response.token };
      } catch (error) {
        throw backendProblem(ctx, error);
      }
    },
  });
}

function apiKeyOf(ctx: GatewayContext, request: FastifyRequest): string | undefined {
  const header = ctx.realm().document.webMethods.apiKeyHeader.toLowerCase();
  const value = request.headers[header];
  if (typeof value !== 'string') return undefined;
  const key = value.trim();
  return API_KEY.test(key) ? key : undefined;
}

function unauthorized(ctx: GatewayContext): ApiError {
  const header = ctx.realm().document.webMethods.apiKeyHeader;
  return new ApiError({
    status: 401,
    message: `Unauthorized application request. No application is identified by the API key in the ${header} header.`,
  });
}

/**
 * A failed IssueApplicationToken call: an unknown key (UNAUTHENTICATED) and a key bound to no
 * application (PERMISSION_DENIED) are both API Gateway's "Unauthorized application request".
 */
function backendProblem(ctx: GatewayContext, error: unknown): ApiError {
  const apiError = toApiError(error, {
    statuses: { [status.OK]: 500, [status.PERMISSION_DENIED]: 401 },
  });
  if (apiError.problem.status === 401) return unauthorized(ctx);
  // The issuer names the claims by their proto field; the caller sent them as claimsSet.
  return new ApiError({
    ...apiError.problem,
    message: apiError.problem.message.replaceAll('claims_json', 'claimsSet'),
  });
}
