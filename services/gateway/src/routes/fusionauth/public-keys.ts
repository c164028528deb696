import type { issuerV1 } from '@tessera/contracts';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../../gateway-context.js';
import { ApiError } from '../../http/api-errors.js';
import { presentParameter } from '../../http/credentials.js';
import { rejectWith } from './backend-failures.js';
import {
  EMPTY_FAILURES,
  ERRORS_RESPONSE,
  emptyResponse,
  FUSIONAUTH_ROUTE,
  TAGS,
  TENANT_HEADERS,
} from './common-schemas.js';

interface PublicKeyQuery {
  applicationId?: string;
  kid?: string;
}

const PEM = { type: 'string', description: 'A PEM-encoded (SPKI) public key.' } as const;

function selectorOf(query: PublicKeyQuery): issuerV1.GetPublicKeysRequest['selector'] {
  const applicationId = presentParameter(query.applicationId);
  if (applicationId !== undefined) return { $case: 'applicationId', value: applicationId };
  const kid = presentParameter(query.kid);
  return kid === undefined ? undefined : { $case: 'keyId', value: kid };
}

// Built once: the merged error table is the same for every request.
const rejectBackendFailure = rejectWith();

/**
 * `GET /api/jwt/public-key`: every published public key (`publicKeys`, keyed by kid), or the
 * one of an application or a kid (`publicKey`). HMAC keys are never published.
 */
export function registerPublicKeyRoute(app: FastifyInstance, ctx: GatewayContext): void {
  app.get<{ Querystring: PublicKeyQuery }>(
    '/api/jwt/public-key',
    {
      config: FUSIONAUTH_ROUTE,
      schema: {
        tags: TAGS,
        operationId: 'retrieveJWTPublicKeys',
        summary: 'Retrieve Public Keys',
        description:
          'Without parameters: all public keys, keyed by kid. With `applicationId`: the key that signs the application\u2019s access tokens. With `kid`: that key. No authentication required.',
        headers: TENANT_HEADERS,
        querystring: {
          type: 'object',
          properties: {
            applicationId: {
              type: 'string',
              description:
                'Retrieve the public key that signs the access tokens of this Application.',
            },
            kid: { type: 'string', description: 'Retrieve the public key with this Key Id.' },
          },
        },
        response: {
          200: {
            description:
              '`publicKeys` (all keys, keyed by kid) or `publicKey` (the one asked for).',
            type: 'object',
            properties: {
              publicKeys: {
                type: 'object',
                description: 'The public keys keyed by kid.',
                additionalProperties: PEM,
              },
              publicKey: { ...PEM, description: 'The public key asked for (PEM).' },
            },
          },
          400: ERRORS_RESPONSE,
          404: emptyResponse("The object you requested doesn't exist. The response is empty."),
          ...EMPTY_FAILURES,
        },
      },
    },
    async (request) => {
      const selector = selectorOf(request.query);
      const { publicKeys } = await ctx.issuer
        .getPublicKeys({ selector }, { metadata: ctx.serviceMetadata(request.id) })
        .catch(rejectBackendFailure);
      if (selector === undefined) return { publicKeys };
      const [publicKey] = Object.values(publicKeys);
      if (publicKey === undefined)
        throw new ApiError({ status: 404, message: 'no such public key', empty: true });
      return { publicKey };
    },
  );
}
