import type { ApplicationConfig, RefreshTokenSettings, TenantConfig } from './realm-schema.js';

/** The JWT settings in force for one tenant, optionally narrowed by one application. */
export interface EffectiveJwtSettings {
  readonly accessTokenTimeToLiveSeconds: number;
  readonly maximumTimeToLiveSeconds: number;
  readonly refreshToken: RefreshTokenSettings;
  /** Set when the application pins its own signing key. */
  readonly signingKeyId: string | undefined;
}

// Realm objects are never mutated (a reload builds new ones), so the settings of a tenant and
// application pair are computed once per realm and dropped with it.
const computed = new WeakMap<
  TenantConfig,
  Map<ApplicationConfig | undefined, EffectiveJwtSettings>
>();

/**
 * Applies an application's overrides on top of its tenant's settings, as FusionAuth does
 * when `jwtConfiguration.enabled` is set on the application. Computed once per tenant and
 * application of a loaded realm (every token minted asks), frozen since callers share it.
 */
export function effectiveJwtSettings(
  tenant: TenantConfig,
  application?: ApplicationConfig,
): EffectiveJwtSettings {
  let byApplication = computed.get(tenant);
  if (byApplication === undefined) {
    byApplication = new Map();
    computed.set(tenant, byApplication);
  }
  let settings = byApplication.get(application);
  if (settings === undefined) {
    settings = Object.freeze({
      accessTokenTimeToLiveSeconds:
        application?.jwt.accessTokenTimeToLiveSeconds ?? tenant.jwt.accessTokenTimeToLiveSeconds,
      maximumTimeToLiveSeconds: tenant.jwt.maximumTimeToLiveSeconds,
      refreshToken: Object.freeze({
        ...tenant.refreshToken,
        ...stripUndefined(application?.refreshToken ?? {}),
      }),
      signingKeyId: application?.jwt.signingKeyId,
    });
    byApplication.set(application, settings);
  }
  return settings;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
