import type { issuerV1 } from '@tessera/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../../gateway-context.js';
import { ApiError } from '../../http/api-errors.js';
import { isRealmApiKey } from '../../http/realm-api-key.js';
import { claimSetsShapeProblem } from './claim-sets-shape.js';
import { GENERATE_ROUTE_SCHEMA } from './generate-schema.js';
import { isAcceptedRequestType, negotiateResponseType } from './media-types.js';
import {
  credentialMetadata,
  type NeostoreCredential,
  neostoreCredential,
} from './neostore-credentials.js';
import { backendProblem, validationProblem } from './neostore-problems.js';

/** One claim as the request carries it; every member may be absent (the schema names none required). */
interface WebClaim {
  readonly type?: string;
  readonly value?: string;
  readonly valueType?: string | null;
}

interface GenerateRoute {
  Params: { tenantId: string };
  Querystring: { validityDuration?: string };
  Body: readonly (readonly WebClaim[])[];
}

const UNAUTHENTICATED =
  'Authentication is required: an API key in X-API-KEY, or Authorization: Bearer with a token of the tenant.';

/**
 * `POST /api/{tenantId}/tokens/generate`: N claim sets in, N tokens out, signed by the issuer
 * for the tenant of the path. The gateway only reads the transport: which header holds the
 * credential (forwarded as presented; the issuer checks the scope), the media types, and the
 * shape of the body.
 */
export function registerGenerateRoute(app: FastifyInstance, ctx: GatewayContext): void {
  app.post<GenerateRoute>('/api/:tenantId/tokens/generate', {
    config: { api: 'neostore' },
    schema: GENERATE_ROUTE_SCHEMA,
    // Validation failures are rendered here, in Neostore's naming, after the 401/415 checks.
    attachValidation: true,
    // ASP.NET Core authenticates before it looks at the body: an anonymous caller, or one with
    // a key the realm does not know, gets a 401 whatever it sent, and its body is not parsed.
    // A bearer token is verified by the issuer (scope and tenant), after the body is read.
    onRequest: async (request, reply) => {
      const credential = credentialOf(ctx, request);
      if (
        credential === undefined ||
        (credential.kind === 'api-key' && !isRealmApiKey(ctx.realm(), credential.key))
      ) {
        reply.header('www-authenticate', 'Bearer');
        throw new ApiError({ status: 401, message: UNAUTHENTICATED });
      }
      if (!isAcceptedRequestType(request.headers['content-type'])) {
        throw new ApiError({
          status: 415,
          message:
            'The request body must be JSON: application/json, text/json or application/*+json.',
        });
      }
    },
    // Before the schema validator, whose type coercion would change the claim sets.
    preValidation: async (request) => {
      const problem = claimSetsShapeProblem(request.body);
      if (problem !== undefined) throw problem;
    },
    handler: async (request, reply) => {
      if (request.validationError) throw validationProblem(request.validationError);
      const credential = credentialOf(ctx, request);
      if (credential === undefined) throw new ApiError({ status: 401, message: UNAUTHENTICATED });
      const generateRequest: issuerV1.GenerateRequest = {
        tenantId: request.params.tenantId,
        claimSets: request.body.map((claims) => ({
          claims: claims.map((claim) => ({
            type: claim.type ?? '',
            value: claim.value ?? '',
            valueType: claim.valueType ?? '',
          })),
        })),
        validityDuration: request.query.validityDuration ?? '',
      };
      let tokens: string[];
      try {
        const response = await ctx.issuer.generate(generateRequest, {
          metadata: credentialMetadata(ctx, credential, request.id),
        });
        tokens = response.tokens;
      } catch (error) {
        const problem = backendProblem(error);
        if (problem.problem.status === 401) reply.header('www-authenticate', 'Bearer');
        throw problem;
      }
      return sendTokens(request, reply, tokens);
    },
  });
}

function credentialOf(
  ctx: GatewayContext,
  request: FastifyRequest,
): NeostoreCredential | undefined {
  return neostoreCredential(request.headers, ctx.realm().document.limits.maxTokenLength);
}

function sendTokens(
  request: FastifyRequest,
  reply: FastifyReply,
  tokens: readonly string[],
): FastifyReply {
  const type = negotiateResponseType(request.headers.accept);
  reply.header('vary', 'Accept').type(`${type}; charset=utf-8`);
  // text/plain carries the same JSON array (the documented schema); fastify serializes only
  // JSON media types, so the text is written here.
  return reply.send(type === 'text/plain' ? JSON.stringify(tokens) : tokens);
}
