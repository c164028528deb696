import type { RefreshTokenSettings } from '@tessera/config';
import { commonV1 } from '@tessera/contracts';

const EXPIRATION: Record<RefreshTokenSettings['expirationPolicy'], commonV1.ExpirationPolicy> = {
  Fixed: commonV1.ExpirationPolicy.EXPIRATION_POLICY_FIXED,
  SlidingWindow: commonV1.ExpirationPolicy.EXPIRATION_POLICY_SLIDING_WINDOW,
  SlidingWindowWithMaximumLifetime:
    commonV1.ExpirationPolicy.EXPIRATION_POLICY_SLIDING_WINDOW_WITH_MAXIMUM_LIFETIME,
};

const USAGE: Record<RefreshTokenSettings['usagePolicy'], commonV1.UsagePolicy> = {
  Reusable: commonV1.UsagePolicy.USAGE_POLICY_REUSABLE,
  OneTimeUse: commonV1.UsagePolicy.USAGE_POLICY_ONE_TIME_USE,
};

/** The realm's refresh-token settings as the session service's policy message. */
export function refreshPolicyOf(settings: RefreshTokenSettings): commonV1.RefreshPolicy {
  return {
    expiration: EXPIRATION[settings.expirationPolicy],
    usage: USAGE[settings.usagePolicy],
    timeToLiveMinutes: settings.timeToLiveInMinutes,
    maximumTimeToLiveMinutes: settings.maximumTimeToLiveInMinutes,
    gracePeriodSeconds: settings.oneTimeUseGracePeriodInSeconds,
    revokeFamilyOnReuse: settings.revokeFamilyOnReuse,
  };
}
