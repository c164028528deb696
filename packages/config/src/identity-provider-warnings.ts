import type { RealmDocument } from './realm-schema.js';

/**
 * What an operator should know about the realm's identity providers, though the realm is
 * valid: a provider without `issuer` accepts a JWT whatever its `iss`, one without `audience`
 * a JWT minted for any other service, so a token its keys signed for someone else signs a
 * user in here. One line per provider and missing binding, with the key path.
 */
export function identityProviderWarnings(document: RealmDocument): string[] {
  const warnings: string[] = [];
  document.identityProviders.forEach((provider, i) => {
    if (provider.issuer === undefined) {
      warnings.push(
        `identityProviders[${i}].issuer: not set; the JWTs of "${provider.name}" are accepted whatever their iss`,
      );
    }
    if (provider.audience === undefined) {
      warnings.push(
        `identityProviders[${i}].audience: not set; the JWTs of "${provider.name}" are accepted whatever their aud, even when minted for another service`,
      );
    }
  });
  return warnings;
}
