import { status } from '@grpc/grpc-js';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../../gateway-context.js';
import { rejectWith } from './backend-failures.js';
import {
  API_KEY_401,
  API_KEY_SECURITY,
  EMPTY_FAILURES,
  ERRORS_RESPONSE,
  FUSIONAUTH_ROUTE,
  nullable,
  TAGS,
  TENANT_HEADERS,
} from './common-schemas.js';
import { apiKeyOf, refuseUnknownApiKey, requireApiKey } from './request-auth.js';
import { optionalBody } from './request-input.js';
import { tenantOf } from './tenant-scope.js';

interface VendBody {
  claims?: Record<string, unknown> | null;
  keyId?: string | null;
  timeToLiveInSeconds?: number | null;
}

const VEND_ERRORS = {
  // A signing key that is not there to use is bad input here: the document gives vend no 404.
  statuses: { [status.NOT_FOUND]: 400 },
  codes: { KEY_NOT_FOUND: { field: 'keyId', code: '[invalid]keyId' } },
  fields: { claims_json: 'claims', key_id: 'keyId', time_to_live_seconds: 'timeToLiveInSeconds' },
};

// Built once: the merged error table is the same for every request.
const rejectBackendFailure = rejectWith(VEND_ERRORS);

/** `POST /api/jwt/vend`: a free-form access token with the caller's claims. API key. */
export function registerVendRoute(app: FastifyInstance, ctx: GatewayContext): void {
  app.post<{ Body: VendBody }>(
    '/api/jwt/vend',
    {
      config: FUSIONAUTH_ROUTE,
      onRequest: [requireApiKey, refuseUnknownApiKey(ctx)],
      preValidation: optionalBody,
      schema: {
        tags: TAGS,
        operationId: 'vendJWT',
        summary: 'Vend a JWT',
        description:
          'Signs an access token with the claims given. The reserved claims `amr`, `cnf`, `exp` and `iat` are ignored; `iat`, `exp`, a UUID `jti` and `amr: ["none"]` are added.',
        security: API_KEY_SECURITY,
        headers: TENANT_HEADERS,
        body: {
          type: 'object',
          properties: {
            claims: nullable({
              type: 'object',
              additionalProperties: true,
              description: 'The claims to add to the JWT; any JSON values.',
            }),
            keyId: nullable({
              type: 'string',
              description:
                'The Id of the signing key to use instead of the tenant\u2019s access-token signing key.',
            }),
            timeToLiveInSeconds: nullable({
              type: 'integer',
              minimum: 1,
              maximum: 2_147_483_647,
              description:
                'The lifetime of the JWT in seconds (> 0); the tenant\u2019s access-token lifetime when omitted.',
            }),
          },
        },
        response: {
          200: {
            description: 'The vended JWT.',
            type: 'object',
            properties: { token: { type: 'string', description: 'The encoded access token.' } },
          },
          400: ERRORS_RESPONSE,
          401: API_KEY_401,
          ...EMPTY_FAILURES,
        },
      },
    },
    async (request) => {
      const apiKey = apiKeyOf(request);
      const { claims, keyId, timeToLiveInSeconds } = request.body;
      const { token } = await ctx.issuer
        .vend(
          {
            tenantId: tenantOf(request, ctx, { apiKey }) ?? '',
            claimsJson: JSON.stringify(claims ?? {}),
            keyId: keyId ?? '',
            timeToLiveSeconds: timeToLiveInSeconds ?? 0,
          },
          { metadata: ctx.callerMetadata(apiKey, request.id) },
        )
        .catch(rejectBackendFailure);
      return { token };
    },
  );
}
