/**
 * tessera's configuration: one YAML realm file (tenants, applications, API keys, identity
 * providers, where the signing keys live) plus environment variables for addresses and
 * secrets. Parsed and validated once at start with zod; every error names the file and the
 * key path.
 */

export { apiKeyWarnings, weakPasswordOf } from './api-key-warnings.js';
export { writeFileAtomically } from './atomic-write.js';
export { ConfigError, describeIssues, formatPath } from './config-error.js';
export { type DevRealm, ensureDevRealm } from './dev-realm.js';
export { listenAddress, logLevel, parseEnv, splitListenAddress } from './env.js';
export { watchFileChanges } from './file-watch.js';
export { identityProviderWarnings } from './identity-provider-warnings.js';
export {
  type ApiKey,
  generateApiKey,
  hashApiKey,
  loadRealmFile,
  parseRealm,
  type Realm,
} from './realm.js';
export { loadRealmWithKeys, type RealmWithKeys, tenantKeyIds } from './realm-keys.js';
export {
  type ApiKeyConfig,
  type ApplicationConfig,
  type IdentityProviderConfig,
  type Limits,
  type RealmDocument,
  type RefreshTokenSettings,
  realmSchema,
  type TenantConfig,
} from './realm-schema.js';
export { RealmSource, type ReloadLog } from './realm-source.js';
export { realmWarnings } from './realm-warnings.js';
export { type EffectiveJwtSettings, effectiveJwtSettings } from './settings.js';
