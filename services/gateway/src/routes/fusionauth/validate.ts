import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../../gateway-context.js';
import {
  EMPTY_FAILURES,
  emptyResponse,
  FUSIONAUTH_ROUTE,
  JWT_SECURITY,
  TAGS,
} from './common-schemas.js';
import { jwtOf, requireJwt, unauthorized } from './request-auth.js';
import { tenantOf } from './tenant-scope.js';

/**
 * `GET /api/jwt/validate`: the decoded payload of a valid access token. Validated in process
 * by the shared local validator (the same code and pushed keys and revocations as the
 * sidecar), which saves the hop to the issuer. A request scoped to a tenant
 * (`X-FusionAuth-TenantId`) validates the token as that tenant's only.
 */
export function registerValidateRoute(app: FastifyInstance, ctx: GatewayContext): void {
  app.get(
    '/api/jwt/validate',
    {
      config: FUSIONAUTH_ROUTE,
      preValidation: requireJwt,
      schema: {
        tags: TAGS,
        operationId: 'validateJWT',
        summary: 'Validate a JWT',
        description:
          'Validates an access token sent as `Authorization: Bearer <token>` or in the access_token cookie: signature, issuer, expiry and revocation. No other authentication required.',
        security: JWT_SECURITY,
        response: {
          200: {
            description: 'The token is valid: its decoded payload (`exp`, `iat` in epoch seconds).',
            type: 'object',
            properties: {
              jwt: {
                type: 'object',
                additionalProperties: true,
                description: 'The decoded JWT payload.',
              },
            },
          },
          401: emptyResponse('The access token is not valid. The response is empty.'),
          ...EMPTY_FAILURES,
        },
      },
    },
    async (request) => {
      const tenantId = tenantOf(request, ctx);
      const verified = await ctx.validator.validate(
        jwtOf(request),
        tenantId === undefined ? {} : { tenantId },
      );
      if (!verified.valid) throw unauthorized(`the access token is not valid (${verified.reason})`);
      return { jwt: verified.claims };
    },
  );
}
