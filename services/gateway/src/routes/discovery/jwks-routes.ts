import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../../gateway-context.js';
import { keySetProblem } from './backend-failure.js';

const JWKS_SCHEMA = {
  type: 'object',
  description:
    'The published public keys as a JSON Web Key Set (RFC 7517). HMAC keys are never published.',
  required: ['keys'],
  properties: {
    keys: {
      type: 'array',
      items: {
        type: 'object',
        description: 'A public JWK with its kid, alg and use',
        additionalProperties: true,
      },
    },
  },
} as const;

/** The published key set as JSON text, straight from the issuer. */
async function fetchJwks(ctx: GatewayContext, requestId: string): Promise<string> {
  try {
    const response = await ctx.issuer.getJwks(
      { tenantId: '' },
      { metadata: ctx.serviceMetadata(requestId) },
    );
    return response.jwksJson;
  } catch (error) {
    throw keySetProblem(error);
  }
}

/**
 * The key set at the two addresses its verifiers know: FusionAuth's `/.well-known/jwks.json`
 * and webMethods' `/rest/pub/apigateway/jwt/certs`. Both serve every published key of every
 * tenant, as FusionAuth does; a verifier picks the key by `kid`.
 */
export function registerJwksRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/.well-known/jwks.json', {
    config: { api: 'fusionauth' },
    schema: {
      tags: ['Discovery'],
      operationId: 'fusionAuthJwks',
      summary: 'The public keys as a JWKS (FusionAuth)',
      description: 'The same keys as `GET /api/jwt/public-key`, as a JSON Web Key Set.',
      response: { 200: JWKS_SCHEMA },
    },
    handler: async (request, reply) =>
      // The issuer's JSON text is sent as is: parsing and re-serializing would only cost time.
      reply.type('application/json; charset=utf-8').send(await fetchJwks(ctx, request.id)),
  });

  app.get('/rest/pub/apigateway/jwt/certs', {
    config: { api: 'webmethods' },
    schema: {
      tags: ['webMethods'],
      operationId: 'webMethodsJwtCerts',
      summary: 'The public keys of getJsonWebToken tokens as a JWKS (webMethods)',
      description: 'The keys that verify the tokens of `POST /gateway/security/getJsonWebToken`.',
      response: { 200: JWKS_SCHEMA },
    },
    handler: async (request, reply) =>
      reply.type('application/json; charset=utf-8').send(await fetchJwks(ctx, request.id)),
  });
}
