import { apiKeyWarnings } from './api-key-warnings.js';
import { identityProviderWarnings } from './identity-provider-warnings.js';
import type { Realm } from './realm.js';

/**
 * Everything an operator should know about a valid realm that is weaker than it could be
 * (guessable or unrestricted API keys, identity providers that bind no issuer or audience),
 * one line each with the key path. `tessera realm check` prints them.
 */
export function realmWarnings(realm: Realm): string[] {
  return [...identityProviderWarnings(realm.document), ...apiKeyWarnings(realm)];
}
