/**
 * Local validation for the gateway and the sidecar: the issuer's verification profile over
 * keys (WatchKeys) and revocations (WatchRevocations) pushed to the process, with a cache of
 * verified tokens that re-checks expiry and revocation on every hit.
 */
export { followKeys, type KeyFollower, type KeySnapshot } from './follow-keys.js';
export { registerLocalValidationMetrics } from './local-validation-metrics.js';
export {
  createLocalValidator,
  type LocalResult,
  type LocalValidator,
  type LocalValidatorOptions,
  type LocalValidatorState,
  type ValidateOptions,
} from './local-validator.js';
export { type CachedVerification, TokenCache, tokenCacheKey } from './token-cache.js';
