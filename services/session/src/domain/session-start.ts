import { invalidArgument } from '@tessera/errors';
import type { CreateInput, DeviceInfo, RefreshPolicy } from '../store/session-store.js';
import { type ExpirationBounds, expirationBounds, expirationInstant } from './expiration.js';

/**
 * What both stores compute when a session starts: the checked policy, the start and the
 * first expiration, and the device as it is first recorded.
 */

/** FusionAuth's bound on the one-time-use grace period. */
export const MAX_GRACE_PERIOD_SECONDS = 86_400;
/** A century: larger lifetimes are configuration mistakes, not sessions. */
const MAX_TIME_TO_LIVE_MINUTES = 100 * 366 * 24 * 60;

/** The numbers a new session is stored with. */
export interface SessionStart {
  readonly startInstant: number;
  readonly expirationInstant: number;
  readonly bounds: ExpirationBounds;
  readonly device: DeviceInfo;
}

function checkMinutes(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_TIME_TO_LIVE_MINUTES) {
    throw invalidArgument(
      field,
      `must be a whole number of minutes from 1 to ${MAX_TIME_TO_LIVE_MINUTES}`,
    );
  }
}

/** Rejects a policy no session can run under, naming the field at fault. */
export function checkRefreshPolicy(policy: RefreshPolicy): void {
  checkMinutes(policy.timeToLiveMinutes, 'policy.timeToLiveMinutes');
  if (policy.expiration === 'SlidingWindowWithMaximumLifetime') {
    checkMinutes(policy.maximumTimeToLiveMinutes, 'policy.maximumTimeToLiveMinutes');
  }
  const grace = policy.gracePeriodSeconds;
  if (!Number.isSafeInteger(grace) || grace < 0 || grace > MAX_GRACE_PERIOD_SECONDS) {
    throw invalidArgument(
      'policy.gracePeriodSeconds',
      `must be a whole number of seconds from 0 to ${MAX_GRACE_PERIOD_SECONDS}`,
    );
  }
}

/**
 * Plans a session starting now. A start instant in the future, or one so old that the
 * session would already be expired, is an invalid argument rather than a dead record.
 */
export function planSessionStart(input: CreateInput, now: number): SessionStart {
  checkRefreshPolicy(input.policy);
  const startInstant = input.startInstant ?? now;
  if (!Number.isSafeInteger(startInstant) || startInstant > now) {
    throw invalidArgument('startInstant', 'must be an epoch-millisecond instant not after now');
  }
  const expiration = expirationInstant(input.policy, startInstant, now);
  if (expiration <= now) {
    throw invalidArgument('startInstant', 'a session started then would already have expired');
  }
  return {
    startInstant,
    expirationInstant: expiration,
    bounds: expirationBounds(input.policy, startInstant),
    device: {
      ...input.device,
      // The device's first access is this one unless the caller knows better.
      lastAccessedAddress: input.device.lastAccessedAddress || input.presenter.ipAddress,
      lastAccessedInstant: input.device.lastAccessedInstant || now,
    },
  };
}
