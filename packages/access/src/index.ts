/**
 * Who may call what, decided in one place for every tessera service:
 * - the requirement table of each gRPC service, typed against its generated definition so a
 *   new RPC does not compile until it is listed;
 * - one interceptor that denies by default and puts a typed caller on every call;
 * - tenant resolution, shared by the services and the gateway.
 */
export {
  type AccessInterceptorOptions,
  type AccessRules,
  accessInterceptor,
  accessRules,
} from './access-interceptor.js';
export { assertMayGrantScopes, authorizeApiKey } from './authorize.js';
export { apiKeyOf, CALLER, type Caller, callerOf } from './caller.js';
export type { HttpEquivalent, Requirement, RequirementTable } from './requirement.js';
export {
  GENERATE_SCOPE,
  ISSUER_REQUIREMENTS,
  SESSION_REQUIREMENTS,
  SIDECAR_AUTHORIZATION_REQUIREMENTS,
  SIDECAR_REQUIREMENTS,
  type SidecarIssuerDefinition,
} from './service-requirements.js';
export { streamAuthenticator } from './stream-authentication.js';
export { findTenant, resolveTenant, type TenantQuery } from './tenant-resolution.js';
