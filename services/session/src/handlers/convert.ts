import { commonV1, type sessionV1 } from '@tessera/contracts';
import { invalidArgument } from '@tessera/errors';
import type { Registration, User } from '../store/directory.js';
import type { Revocation } from '../store/revocation-log.js';
import type {
  DeviceInfo,
  ExpirationPolicy,
  Presenter,
  RefreshPolicy,
  RefreshTokenRecord,
  SessionClaims,
  UsagePolicy,
} from '../store/session-store.js';

// proto ↔ domain, in one place. Instants are int64 (bigint) on the wire and epoch-ms numbers
// in the domain: epoch milliseconds stay far below 2^53, so the conversion is exact.

const EXPIRATION: Record<string, ExpirationPolicy> = {
  [commonV1.ExpirationPolicy.EXPIRATION_POLICY_FIXED]: 'Fixed',
  [commonV1.ExpirationPolicy.EXPIRATION_POLICY_SLIDING_WINDOW]: 'SlidingWindow',
  [commonV1.ExpirationPolicy.EXPIRATION_POLICY_SLIDING_WINDOW_WITH_MAXIMUM_LIFETIME]:
    'SlidingWindowWithMaximumLifetime',
};
const USAGE: Record<string, UsagePolicy> = {
  [commonV1.UsagePolicy.USAGE_POLICY_REUSABLE]: 'Reusable',
  [commonV1.UsagePolicy.USAGE_POLICY_ONE_TIME_USE]: 'OneTimeUse',
};
const EXPIRATION_TO_PROTO: Record<ExpirationPolicy, commonV1.ExpirationPolicy> = {
  Fixed: commonV1.ExpirationPolicy.EXPIRATION_POLICY_FIXED,
  SlidingWindow: commonV1.ExpirationPolicy.EXPIRATION_POLICY_SLIDING_WINDOW,
  SlidingWindowWithMaximumLifetime:
    commonV1.ExpirationPolicy.EXPIRATION_POLICY_SLIDING_WINDOW_WITH_MAXIMUM_LIFETIME,
};
const USAGE_TO_PROTO: Record<UsagePolicy, commonV1.UsagePolicy> = {
  Reusable: commonV1.UsagePolicy.USAGE_POLICY_REUSABLE,
  OneTimeUse: commonV1.UsagePolicy.USAGE_POLICY_ONE_TIME_USE,
};

/** Epoch ms from the wire. */
export const toMs = (value: bigint): number => Number(value);

/** A policy from the wire, every field checked. */
export function policyFromProto(policy: commonV1.RefreshPolicy | undefined): RefreshPolicy {
  if (policy === undefined) throw invalidArgument('policy', 'policy is required');
  const expiration = EXPIRATION[policy.expiration];
  const usage = USAGE[policy.usage];
  if (expiration === undefined)
    throw invalidArgument('policy.expiration', 'policy.expiration is required');
  if (usage === undefined) throw invalidArgument('policy.usage', 'policy.usage is required');
  if (policy.timeToLiveMinutes <= 0) {
    throw invalidArgument('policy.time_to_live_minutes', 'must be a positive number of minutes');
  }
  if (expiration === 'SlidingWindowWithMaximumLifetime' && policy.maximumTimeToLiveMinutes <= 0) {
    throw invalidArgument(
      'policy.maximum_time_to_live_minutes',
      'must be a positive number of minutes',
    );
  }
  if (policy.gracePeriodSeconds < 0 || policy.gracePeriodSeconds > 86_400) {
    throw invalidArgument('policy.grace_period_seconds', 'must be between 0 and 86400');
  }
  return {
    expiration,
    usage,
    timeToLiveMinutes: policy.timeToLiveMinutes,
    maximumTimeToLiveMinutes: policy.maximumTimeToLiveMinutes,
    gracePeriodSeconds: policy.gracePeriodSeconds,
    revokeFamilyOnReuse: policy.revokeFamilyOnReuse,
  };
}

/** A policy for the wire. */
export function policyToProto(policy: RefreshPolicy): commonV1.RefreshPolicy {
  return {
    expiration: EXPIRATION_TO_PROTO[policy.expiration],
    usage: USAGE_TO_PROTO[policy.usage],
    timeToLiveMinutes: policy.timeToLiveMinutes,
    maximumTimeToLiveMinutes: policy.maximumTimeToLiveMinutes,
    gracePeriodSeconds: policy.gracePeriodSeconds,
    revokeFamilyOnReuse: policy.revokeFamilyOnReuse,
  };
}

/** A JSON-object field from the wire ('' is an empty object). */
export function jsonObjectField(
  text: string,
  field: string,
  maxBytes = 65_536,
): Record<string, unknown> {
  if (text === '') return {};
  if (Buffer.byteLength(text) > maxBytes)
    throw invalidArgument(field, `${field} is larger than ${maxBytes} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidArgument(field, `${field} is not valid JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgument(field, `${field} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** A bounded free-text field from the wire: longer is INVALID_ARGUMENT, never stored. */
function bounded(value: string | undefined, field: string, max: number): string {
  const text = value ?? '';
  if (text.length > max) throw invalidArgument(field, `${field} is longer than ${max} characters`);
  return text;
}

/** Scopes from the wire: at most 64, each at most 256 characters. */
export function scopesFromProto(scopes: readonly string[]): string[] {
  if (scopes.length > 64) throw invalidArgument('scopes', 'at most 64 scopes');
  return scopes.map((scope, i) => bounded(scope, `scopes[${i}]`, 256));
}

/**
 * Session claims from the wire, bounded like every other stored field: at most 1,024 roles
 * of 256 characters, an email of 320, a username of 256, an authentication type of 64.
 */
export function sessionClaimsFromProto(claims: sessionV1.SessionClaims | undefined): SessionClaims {
  const roles = claims?.roles ?? [];
  if (roles.length > 1024) throw invalidArgument('session_claims.roles', 'at most 1024 roles');
  const authTime = Number(claims?.authTime ?? 0n);
  if (!Number.isSafeInteger(authTime) || authTime < 0) {
    throw invalidArgument('session_claims.auth_time', 'must be epoch seconds');
  }
  return {
    authTime,
    authenticationType: bounded(
      claims?.authenticationType,
      'session_claims.authentication_type',
      64,
    ),
    roles: roles.map((role, i) => bounded(role, `session_claims.roles[${i}]`, 256)),
    email: bounded(claims?.email, 'session_claims.email', 320),
    emailVerified: claims?.emailVerified ?? false,
    preferredUsername: bounded(claims?.preferredUsername, 'session_claims.preferred_username', 256),
  };
}

/** Session claims for the wire. */
export function sessionClaimsToProto(claims: SessionClaims): sessionV1.SessionClaims {
  return { ...claims, authTime: BigInt(claims.authTime), roles: [...claims.roles] };
}

/** Presenter from the wire (absent means unknown). */
export function presenterFromProto(presenter: commonV1.Presenter | undefined): Presenter {
  return {
    ipAddress: bounded(presenter?.ipAddress, 'presenter.ip_address', 64),
    userAgent: bounded(presenter?.userAgent, 'presenter.user_agent', 1024),
  };
}

/** Device metadata from the wire. */
export function deviceFromProto(device: commonV1.DeviceInfo | undefined): DeviceInfo {
  return {
    description: bounded(device?.description, 'device.description', 1024),
    lastAccessedAddress: bounded(device?.lastAccessedAddress, 'device.last_accessed_address', 64),
    lastAccessedInstant: toMs(device?.lastAccessedInstant ?? 0n),
    name: bounded(device?.name, 'device.name', 256),
    type: bounded(device?.type, 'device.type', 256),
  };
}

/** A refresh-token record for the wire. */
export function recordToProto(record: RefreshTokenRecord): sessionV1.RefreshToken {
  return {
    id: record.id,
    tenantId: record.tenantId,
    applicationId: record.applicationId,
    userId: record.userId,
    insertInstant: BigInt(record.insertInstant),
    startInstant: BigInt(record.startInstant),
    expirationInstant: BigInt(record.expirationInstant),
    device: { ...record.device, lastAccessedInstant: BigInt(record.device.lastAccessedInstant) },
    scopes: [...record.scopes],
    dataJson: JSON.stringify(record.data),
    policy: policyToProto(record.policy),
    sessionClaims: sessionClaimsToProto(record.sessionClaims),
    sourceId: record.sourceId,
  };
}

/** A revocation for the wire. */
export function revocationToProto(revocation: Revocation): sessionV1.Revocation {
  return {
    ...revocation,
    notBefore: BigInt(revocation.notBefore),
    expiresAt: BigInt(revocation.expiresAt),
  };
}

/** A registration for the wire. */
export function registrationToProto(registration: Registration): sessionV1.Registration {
  return {
    ...registration,
    roles: [...registration.roles],
    dataJson: JSON.stringify(registration.data),
    insertInstant: BigInt(registration.insertInstant),
    lastLoginInstant: BigInt(registration.lastLoginInstant),
  };
}

/** A user for the wire. */
export function userToProto(user: User): sessionV1.User {
  return {
    id: user.id,
    tenantId: user.tenantId,
    email: user.email,
    username: user.username,
    verified: user.verified,
    active: user.active,
    firstName: user.firstName,
    lastName: user.lastName,
    fullName: user.fullName,
    dataJson: JSON.stringify(user.data),
    insertInstant: BigInt(user.insertInstant),
    lastUpdateInstant: BigInt(user.lastUpdateInstant),
    lastLoginInstant: BigInt(user.lastLoginInstant),
    registrations: user.registrations.map(registrationToProto),
    identityLinks: user.identityLinks.map((link) => ({ ...link })),
  };
}
