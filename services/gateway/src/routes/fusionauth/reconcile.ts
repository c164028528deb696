import { status } from '@grpc/grpc-js';
import type { commonV1 } from '@tessera/contracts';
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
  nullable,
  TAGS,
} from './common-schemas.js';
import { setLoginCookies } from './login-cookies.js';
import { presenterOf } from './request-input.js';
import { TENANT_HEADER, tenantOf } from './tenant-scope.js';

interface DeviceBody {
  description?: string | null;
  lastAccessedAddress?: string | null;
  name?: string | null;
  type?: string | null;
}

interface ReconcileBody {
  applicationId: string;
  identityProviderId: string;
  encodedJWT?: string | null;
  data?: { token?: string | null } | null;
  ipAddress?: string | null;
  metaData?: { device?: DeviceBody | null } | null;
}

const text = (description: string) => nullable({ type: 'string', description });

const RECONCILE_ERRORS = {
  // The document: an unknown application or identity provider, and a JWT that cannot be
  // trusted, are all 401.
  statuses: { [status.NOT_FOUND]: 401 },
  fields: {
    application_id: 'applicationId',
    identity_provider_id: 'identityProviderId',
    encoded_jwt: 'data.token',
  },
};

function deviceOf(device: DeviceBody | null | undefined): commonV1.DeviceInfo | undefined {
  if (device === null || device === undefined) return undefined;
  return {
    description: device.description ?? '',
    lastAccessedAddress: device.lastAccessedAddress ?? '',
    lastAccessedInstant: 0n,
    name: device.name ?? '',
    type: device.type ?? '',
  };
}

// Built once: the merged error table is the same for every request.
const rejectBackendFailure = rejectWith(RECONCILE_ERRORS);

/** `POST /api/jwt/reconcile`: log a user in with a JWT of an external identity provider. */
export function registerReconcileRoute(app: FastifyInstance, ctx: GatewayContext): void {
  app.post<{ Body: ReconcileBody }>(
    '/api/jwt/reconcile',
    {
      config: FUSIONAUTH_ROUTE,
      schema: {
        tags: TAGS,
        operationId: 'reconcileJWT',
        summary: 'Reconcile a JWT using the External JWT provider',
        description:
          'Verifies a JWT issued by an External JWT identity provider, creates or updates the user it represents and registers them to the application, then answers with the user and new tokens. No authentication required.',
        headers: {
          type: 'object',
          properties: {
            [TENANT_HEADER]: {
              type: 'string',
              description:
                'X-FusionAuth-TenantId: the tenant this request is scoped to (optional).',
            },
            'x-forwarded-for': {
              type: 'string',
              description: 'The IP address of the client, used when the body has no ipAddress.',
            },
          },
        },
        body: {
          type: 'object',
          required: ['applicationId', 'identityProviderId'],
          properties: {
            applicationId: {
              type: 'string',
              description:
                'The Id of the Application the User is logged into; a 401 when it is not a valid Application Id.',
            },
            identityProviderId: {
              type: 'string',
              description:
                'The Id of the External JWT Identity Provider; a 401 when it is not a valid Identity Provider Id.',
            },
            encodedJWT: text(
              'Deprecated: the encoded JWT of the identity provider. Use data.token.',
            ),
            data: nullable({
              type: 'object',
              description: 'Identity provider data.',
              properties: { token: text('The encoded JWT issued by the identity provider.') },
            }),
            ipAddress: text(
              'The IP address of the end-user; takes precedence over X-Forwarded-For.',
            ),
            metaData: nullable({
              type: 'object',
              properties: {
                device: nullable({
                  type: 'object',
                  description: 'The device the user logs in with.',
                  properties: {
                    description: text('A human readable description of the device.'),
                    lastAccessedAddress: text('The IP address of this login request.'),
                    name: text('A human readable name of the device.'),
                    type: text('The type of the device (any string).'),
                  },
                }),
              },
            }),
          },
        },
        response: {
          200: {
            description:
              'The reconcile was successful: the user, the access token and, when the application generates them, a refresh token. Also written as the access_token and refresh_token cookies.',
            type: 'object',
            properties: {
              user: {
                type: 'object',
                additionalProperties: true,
                description: 'The User object, with its registrations.',
              },
              token: { type: 'string', description: 'The access token (JWT).' },
              refreshToken: {
                type: 'string',
                description: 'The refresh token, when the application generates refresh tokens.',
              },
              refreshTokenId: {
                type: 'string',
                description: 'The persistent Id of the refresh token.',
              },
              tokenExpirationInstant: {
                type: 'integer',
                description: 'The instant the access token expires (epoch milliseconds).',
              },
            },
          },
          400: ERRORS_RESPONSE,
          401: emptyResponse(
            'The identity provider or application is not valid, the JWT signature cannot be validated, the JWT lacks the unique identity claim, or its email domain is not managed by the identity provider. The response is empty.',
          ),
          ...EMPTY_FAILURES,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const encodedJwt = presentParameter(body.data?.token) ?? presentParameter(body.encodedJWT);
      if (encodedJwt === undefined) {
        throw new ApiError({
          status: 400,
          field: 'data.token',
          code: '[missing]data.token',
          message: 'data.token is required',
        });
      }
      const reconciled = await ctx.issuer
        .reconcile(
          {
            tenantId: tenantOf(request, ctx, { applicationId: body.applicationId }) ?? '',
            applicationId: body.applicationId,
            identityProviderId: body.identityProviderId,
            encodedJwt,
            presenter: presenterOf(request, body.ipAddress),
            device: deviceOf(body.metaData?.device),
            // The idempotency key: a retry with the same X-Request-Id starts one session.
            requestId: request.id,
          },
          { metadata: ctx.serviceMetadata(request.id) },
        )
        .catch(rejectBackendFailure);
      setLoginCookies(request, reply, reconciled, ctx);
      return reply.send({
        user: JSON.parse(reconciled.userJson),
        token: reconciled.token,
        ...(reconciled.refreshToken
          ? { refreshToken: reconciled.refreshToken, refreshTokenId: reconciled.refreshTokenId }
          : {}),
        tokenExpirationInstant: Number(reconciled.tokenExpirationInstant),
      });
    },
  );
}
