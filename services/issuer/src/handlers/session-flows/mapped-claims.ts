/** The user fields an identity provider's claim map fills from an external JWT. */
export interface MappedClaims {
  email?: string;
  username?: string;
  firstName?: string;
  lastName?: string;
  fullName?: string;
  roles?: string[];
}

/** Applies a provider's claim → user field map to the claims of its verified JWT. */
export function mapClaims(
  claims: Record<string, unknown>,
  map: Readonly<Record<string, string>>,
): MappedClaims {
  const mapped: MappedClaims = {};
  for (const [claim, target] of Object.entries(map)) {
    const value = claims[claim];
    if (target === 'registration.roles') {
      if (Array.isArray(value))
        mapped.roles = value.filter((v): v is string => typeof v === 'string');
      else if (typeof value === 'string') mapped.roles = [value];
    } else if (typeof value === 'string') {
      mapped[target as Exclude<keyof MappedClaims, 'roles'>] = value;
    }
  }
  return mapped;
}
