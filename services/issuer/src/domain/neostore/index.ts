/**
 * Neostore `POST /api/{tenantId}/tokens/generate`, the domain half: turning each claim set
 * into a payload exactly as the .NET service did, and the requested validity into a
 * lifetime. Signing and transport live elsewhere.
 */
export {
  buildClaimSetPayload,
  type ClaimSetLimits,
  ISSUER_SET_CLAIMS,
  type NeostoreClaim,
} from './claim-set.js';
export { CLAIM_VALUE_TYPES, convertClaimArrayItem, convertClaimValue } from './claim-values.js';
export {
  formatTimeSpan,
  formatTimeSpanTicks,
  parseTimeSpan,
  parseTimeSpanTicks,
  TICKS_PER_MILLISECOND,
  ticksToMilliseconds,
} from './timespan.js';
export {
  NEOSTORE_DEFAULT_VALIDITY_MS,
  resolveValidity,
  type ValidityLimits,
} from './validity-duration.js';
