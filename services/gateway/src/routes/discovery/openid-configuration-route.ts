import type { TenantConfig } from '@tessera/config';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayContext } from '../../gateway-context.js';
import { ApiError } from '../../http/api-errors.js';
import { keySetProblem } from './backend-failure.js';
import { configuredDiscoveryBase } from './discovery-base.js';

// The access-token claims tessera issues (README, Token rules), advertised as FusionAuth does.
const CLAIMS_SUPPORTED = [
  'applicationId',
  'aud',
  'authenticationType',
  'auth_time',
  'email',
  'email_verified',
  'exp',
  'iat',
  'iss',
  'jti',
  'preferred_username',
  'roles',
  'scope',
  'sid',
  'sub',
  'tid',
] as const;

const CONFIGURATION_SCHEMA = {
  type: 'object',
  description:
    'OpenID Provider metadata (OpenID Connect Discovery 1.0) of one tenant: what a verifier of its tokens needs. No OAuth endpoint is advertised: the gateway serves none.',
  required: ['issuer', 'jwks_uri', 'id_token_signing_alg_values_supported'],
  properties: {
    issuer: { type: 'string', description: "The tenant's issuer, the `iss` of its tokens" },
    jwks_uri: { type: 'string', description: 'Where the public keys are, as a JWKS' },
    id_token_signing_alg_values_supported: {
      type: 'array',
      items: { type: 'string' },
      description: "The algorithms of the tenant's published keys",
    },
    subject_types_supported: {
      type: 'array',
      items: { type: 'string' },
      description: '`public`: `sub` is the same for every client',
    },
    claims_supported: {
      type: 'array',
      items: { type: 'string' },
      description: 'The claims access tokens may carry',
    },
  },
} as const;

const TENANT_ID_DESCRIPTION =
  'The tenant to describe. Without it (and without the path form), the first tenant of the realm file is described.';

/**
 * FusionAuth's `/.well-known/openid-configuration`, per tenant: the tenant named by the
 * `X-FusionAuth-TenantId` header or by the path (`/.well-known/openid-configuration/{tenantId}`,
 * as FusionAuth also serves it), else the first tenant of the realm file — the only one in a
 * single-tenant realm, and a stable, operator-chosen one otherwise. An unknown tenant is a 404.
 */
export function registerOpenIdConfigurationRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const schema = {
    tags: ['Discovery'],
    summary: 'OpenID Connect discovery document of a tenant (FusionAuth)',
    headers: {
      type: 'object',
      properties: {
        'x-fusionauth-tenantid': { type: 'string', description: TENANT_ID_DESCRIPTION },
      },
    },
    response: { 200: CONFIGURATION_SCHEMA },
  };
  app.get('/.well-known/openid-configuration', {
    config: { api: 'fusionauth' },
    schema: { ...schema, operationId: 'openIdConfiguration' },
    handler: async (request, reply) =>
      configurationOf(ctx, request, reply, headerTenantId(request)),
  });
  app.get<{ Params: { tenantId: string } }>('/.well-known/openid-configuration/:tenantId', {
    config: { api: 'fusionauth' },
    schema: {
      ...schema,
      operationId: 'openIdConfigurationOfTenant',
      params: {
        type: 'object',
        required: ['tenantId'],
        properties: { tenantId: { type: 'string', description: 'The tenant to describe' } },
      },
    },
    handler: async (request, reply) =>
      configurationOf(ctx, request, reply, request.params.tenantId),
  });
}

async function configurationOf(
  ctx: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  tenantId: string | undefined,
) {
  const tenant = chooseTenant(ctx, tenantId);
  let jwksJson: string;
  try {
    const response = await ctx.issuer.getJwks(
      { tenantId: tenant.id },
      { metadata: ctx.serviceMetadata(request.id) },
    );
    jwksJson = response.jwksJson;
  } catch (error) {
    throw keySetProblem(error);
  }
  let base = configuredDiscoveryBase(ctx.publicUrl, tenant.issuer);
  if (base === undefined) {
    base = ctx.baseUrl(request);
    reply.header('vary', 'Host').header('cache-control', 'no-store');
  }
  return {
    issuer: tenant.issuer,
    jwks_uri: `${base}/.well-known/jwks.json`,
    id_token_signing_alg_values_supported: algorithmsOf(jwksJson),
    subject_types_supported: ['public'],
    claims_supported: CLAIMS_SUPPORTED,
  };
}

function headerTenantId(request: FastifyRequest): string | undefined {
  const value = request.headers['x-fusionauth-tenantid'];
  const trimmed = typeof value === 'string' ? value.trim() : '';
  return trimmed === '' ? undefined : trimmed;
}

function chooseTenant(ctx: GatewayContext, tenantId: string | undefined): TenantConfig {
  const { tenants } = ctx.realm();
  const tenant = tenantId === undefined ? tenants.values().next().value : tenants.get(tenantId);
  if (tenant === undefined) throw new ApiError({ status: 404, message: 'no such tenant' });
  return tenant;
}

/** The distinct `alg` of a JWKS's keys, in key order. */
function algorithmsOf(jwksJson: string): string[] {
  const jwks: unknown = JSON.parse(jwksJson);
  const keys = typeof jwks === 'object' && jwks !== null && 'keys' in jwks ? jwks.keys : undefined;
  if (!Array.isArray(keys)) return [];
  const algorithms = keys.map((key: unknown) =>
    typeof key === 'object' && key !== null && 'alg' in key && typeof key.alg === 'string'
      ? key.alg
      : undefined,
  );
  return [...new Set(algorithms.filter((alg): alg is string => alg !== undefined))];
}
