import type { ApplicationConfig, RefreshTokenSettings, TenantConfig } from './realm-schema.js';

/** The JWT settings in force for one tenant, optionally narrowed by one application. */
export interface EffectiveJwtSettings {
  readonly accessTokenTimeToLiveSeconds: number;
  readonly maximumTimeToLiveSeconds: number;
  readonly refreshToken: RefreshTokenSettings;
  /** Set when the application pins its own signing key. */
  readonly signingKeyId: string | undefined;
}

/**
 * Applies an application's overrides on top of its tenant's settings, as FusionAuth does
 * when `jwtConfiguration.enabled` is set on the application.
 */
export function effectiveJwtSettings(
  tenant: TenantConfig,
  application?: ApplicationConfig,
): EffectiveJwtSettings {
  return {
    accessTokenTimeToLiveSeconds:
      application?.jwt.accessTokenTimeToLiveSeconds ?? tenant.jwt.accessTokenTimeToLiveSeconds,
    maximumTimeToLiveSeconds: tenant.jwt.maximumTimeToLiveSeconds,
    refreshToken: { ...tenant.refreshToken, ...stripUndefined(application?.refreshToken ?? {}) },
    signingKeyId: application?.jwt.signingKeyId,
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
