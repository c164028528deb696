import { type Caller, findTenant } from '@tessera/access';
import { type ApiKey, hashApiKey, type Realm } from '@tessera/config';
import { TesseraError } from '@tessera/errors';
import type { FastifyRequest } from 'fastify';
import type { GatewayContext } from '../../gateway-context.js';
import { ApiError } from '../../http/api-errors.js';
import { presentParameter } from '../../http/credentials.js';
import { unauthorized } from './request-auth.js';

/** The header FusionAuth scopes a request to a tenant with. */
export const TENANT_HEADER = 'x-fusionauth-tenantid';

/** What a request says, besides the header, about the tenant it concerns. */
export interface TenantHints {
  /** The caller's API key: a tenant-locked key implies its tenant. */
  readonly apiKey?: string;
  /** An application named by the request: it belongs to exactly one tenant. */
  readonly applicationId?: string | undefined;
}

function presentedKey(realm: Realm, apiKey: string | undefined): ApiKey | undefined {
  return apiKey === undefined ? undefined : realm.apiKeysByHash.get(hashApiKey(apiKey));
}

/**
 * The shared resolution (`findTenant` of @tessera/access), its refusals answered in
 * FusionAuth's format: a locked key naming another tenant is 401 like any refused
 * credential, an unknown tenant id a 400 on `tenantId`.
 */
function resolve(
  request: FastifyRequest,
  realm: Realm,
  key: ApiKey | undefined,
  hints: TenantHints,
): string | undefined {
  const header = presentParameter(request.headers[TENANT_HEADER]);
  const caller: Caller = key === undefined ? { kind: 'anonymous' } : { kind: 'api-key', key };
  try {
    return findTenant(realm, { tenantId: header, caller, applicationId: hints.applicationId })?.id;
  } catch (error) {
    if (!(error instanceof TesseraError)) throw error;
    if (error.code === 'PERMISSION_DENIED') throw unauthorized(error.message);
    if (error.code === 'TENANT_NOT_FOUND') {
      throw new ApiError({
        status: 400,
        field: 'tenantId',
        code: '[invalid]tenantId',
        message: error.message,
      });
    }
    throw error;
  }
}

/**
 * The tenant a request is scoped to, as FusionAuth infers it: the `X-FusionAuth-TenantId`
 * header, else the tenant the API key is locked to, else the tenant of the application the
 * request names, else the only tenant; undefined when none of these tells. The session
 * service takes the tenant as given, so a locked key naming another tenant is refused here,
 * exactly as the issuer refuses it.
 */
export function tenantOf(
  request: FastifyRequest,
  ctx: GatewayContext,
  hints: TenantHints = {},
): string | undefined {
  const realm = ctx.realm();
  return resolve(request, realm, presentedKey(realm, hints.apiKey), hints);
}

/**
 * {@link tenantOf} for requests that cannot go on without a tenant: 400 `[TenantIdRequired]`
 * when it cannot be inferred, or 401 when the API key is unknown (authentication first).
 */
export function requiredTenantOf(
  request: FastifyRequest,
  ctx: GatewayContext,
  hints: TenantHints = {},
): string {
  const realm = ctx.realm();
  const key = presentedKey(realm, hints.apiKey);
  const tenantId = resolve(request, realm, key, hints);
  if (tenantId !== undefined) return tenantId;
  if (hints.apiKey !== undefined && key === undefined) throw unauthorized('unknown API key');
  throw new ApiError({
    status: 400,
    code: '[TenantIdRequired]',
    message:
      'a tenant id is required: send the X-FusionAuth-TenantId header or use a tenant-locked API key',
  });
}
